"""`python -m sim` runs the adoptsim command line."""

from sim.cli import main

main()
