"""Experiments over many runs: designed sweeps, sensitivity analysis and side-by-side comparisons."""
