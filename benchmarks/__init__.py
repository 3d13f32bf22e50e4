"""Performance benchmarks for the adoptsim engine (see benchmarks/README.md)."""
