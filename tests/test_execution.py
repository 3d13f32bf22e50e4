"""One execution layer and no side effects at import: every command that runs many simulations gets its
worker processes from sim.experiments.execution, and no library module chooses matplotlib's backend (the
command line does, for itself and the processes it starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
FIGURE_MODULES = (
    "sim.plots",
    "sim.picture",
    "sim.experiments.targets",
    "sim.experiments.figures",
    "sim.experiments.compare_figures",
    "sim.experiments.validate",
    "sim.experiments.calibrate",
)


def test_one_module_builds_worker_pools() -> None:
    builders = sorted(
        str(path.relative_to(SIM.parent))
        for path in SIM.rglob("*.py")
        if "ProcessPoolExecutor(" in path.read_text(encoding="utf-8")
    )
    assert builders == ["sim/experiments/execution.py"], builders


def test_importing_the_library_keeps_the_users_matplotlib_backend() -> None:
    # A notebook user's backend ("pdf" stands in for an interactive one) survives importing every module
    # that draws figures; the old modules switched it to Agg at import.
    code = (
        "import matplotlib; matplotlib.use('pdf'); "
        + "; ".join(f"import {name}" for name in FIGURE_MODULES)
        + "; assert matplotlib.get_backend() == 'pdf', matplotlib.get_backend()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""})
    assert result.returncode == 0, result.stderr


def test_the_command_line_draws_into_files() -> None:
    code = (
        "import matplotlib; matplotlib.use('pdf'); import os, sim.cli; sim.cli.build(['run']); "
        "assert matplotlib.get_backend().lower() == 'agg' and os.environ['MPLBACKEND'] == 'Agg', "
        "matplotlib.get_backend()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""})
    assert result.returncode == 0, result.stderr
