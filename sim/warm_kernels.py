"""Importing this module loads the compiled weekly rules (sim/kernels.py), from Numba's cache or by compiling
them. Worker pools list it among their fork server's preloaded modules: every worker forked from the server
then starts with the kernels in memory, instead of spending most of a second loading them on its first run."""

from sim.kernels import load

load()
