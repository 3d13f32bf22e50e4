"""The core without its extras: a subprocess in which the extras' libraries cannot be imported (an import hook
refuses them, as a virtual environment with only `pip install adoptsim` would) runs the core commands, and a
command that needs an extra exits 2 naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.extras import COMMAND_EXTRAS, EXTRAS

BLOCKER = """
import sys
from importlib.abc import MetaPathFinder

BLOCKED = set(sys.argv.pop(1).split(","))

class Absent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Absent())
from sim.cli import main
sys.argv[0] = "adoptsim"
main()
"""
EXTRA_MODULES = sorted({module for modules in EXTRAS.values() for module in modules} | {"dask", "mesa_viz_tornado"})


def core_only(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`adoptsim ARGS` with every extra's library refused."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(EXTRA_MODULES), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_run_and_compare_work_with_the_core_alone(tmp_path: Path) -> None:
    done = core_only("run", "baseline", "--weeks", "12", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "summary.json").is_file()
    core = ("compare", "report", "sweep", "sensitivity", "validate", "animate", "scenarios", "org")
    probe = BLOCKER.replace("from sim.cli import main", f"from sim.cli import build\nbuild({list(core)!r})")
    probe = probe.replace("main()", "print('built')")  # every core command's module imports without an extra
    done = subprocess.run(
        [sys.executable, "-c", probe, ",".join(EXTRA_MODULES)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0 and "built" in done.stdout, done.stderr
    code = "import sys, sim; sim.run(sim.load_scenario('small-firm'), seed=1, weeks=4); print(sorted(sys.modules))"
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert not any(f"'{module}'" in probe for module in EXTRA_MODULES), "the API imported an extra's library"


@pytest.mark.parametrize("command", sorted(set(COMMAND_EXTRAS) - {"optimise"}))
def test_a_command_whose_extra_is_missing_exits_2_naming_it(command: str, tmp_path: Path) -> None:
    done = core_only(command, "--help", cwd=tmp_path)
    extra = COMMAND_EXTRAS[command]
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"pip install 'adoptsim[{extra}]'" in done.stderr and "Traceback" not in done.stderr
    assert f"adoptsim {command}" in done.stderr


def test_a_sweep_on_a_cluster_without_dask_exits_2_naming_the_extra(tmp_path: Path) -> None:
    experiment = Path(__file__).resolve().parents[1] / "scenarios" / "experiments" / "foundations.yaml"
    out = str(tmp_path / "s")
    done = core_only("sweep", str(experiment), "--scheduler", "tcp://127.0.0.1:1", "--out", out, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "pip install 'adoptsim[cluster]'" in done.stderr and "Traceback" not in done.stderr
