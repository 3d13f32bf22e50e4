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


def defining(pattern: str) -> list[str]:
    """The modules of sim/ whose text holds `pattern`."""
    return sorted(
        str(path.relative_to(SIM.parent)) for path in SIM.rglob("*.py") if pattern in path.read_text(encoding="utf-8")
    )


def test_one_atomic_writer_one_figure_saver_one_seed_scheme_one_setter() -> None:
    """Each of these is written once in sim/: a second copy is how the copies came to differ before (sweep PNGs
    held matplotlib's version, compare's did not; three setters of a dotted path checked paths differently)."""
    assert defining(".submit(") == ["sim/experiments/execution.py"], "tasks are mapped by execution.map_tasks only"
    assert defining(".savefig(") == ["sim/files.py"]
    assert defining("os.replace(temporary") == ["sim/files.py"]
    assert defining("random.SeedSequence(") == ["sim/experiments/execution.py"]
    assert defining("def set_field(") == ["sim/scenario.py"]
    assert defining("def scenario_with(") == ["sim/scenario.py"]


def figure_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}


def test_compare_sweep_and_validate_draw_the_same_png_bytes_run_to_run(cli, tmp_path: Path) -> None:
    from tests.test_bad_input import tiny_comparison, tiny_experiment

    comparison, experiment = tiny_comparison(tmp_path), tiny_experiment(tmp_path)
    commands = {
        "compare": [comparison],
        "sweep": [experiment],
        "validate": ["population", "--set", "population.firms=12", "--replicates", "2"],
    }
    for command, args in commands.items():
        first, second = tmp_path / f"{command}-1", tmp_path / f"{command}-2"
        for out in (first, second):
            done = cli(command, *args, "--out", out, "--quiet", "--workers", "1")
            assert done.exit_code == 0, (command, done.stderr)
        assert figure_bytes(first), f"{command} drew no figure"
        assert figure_bytes(first) == figure_bytes(second), command
        assert b"Matplotlib version" not in b"".join(figure_bytes(first).values()), command


def group_size(pgid: int) -> int:
    """How many processes are in a process group (Linux /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += int(fields[2]) == pgid  # the fields after the name: state, ppid, pgrp, ...
    return count


def interrupted(commands: dict[str, list[str]], cwd: Path, workers: int) -> dict[str, subprocess.CompletedProcess]:
    """Each `adoptsim ARGS` in a process group of its own, all at once; once each has started its `workers`
    worker processes (its group holds the command, the fork server and the workers), each is sent Ctrl-C
    (SIGINT to the group, as a terminal does). Their exit codes and output."""
    import os
    import signal
    import time

    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "sim", *args],
            cwd=cwd,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    done = {}
    try:
        deadline = time.monotonic() + 180
        waiting = dict(processes)
        while waiting:
            for name, process in list(waiting.items()):
                assert process.poll() is None, f"{name} ended before Ctrl-C: {process.communicate()}"
                if group_size(process.pid) >= workers + 2:
                    del waiting[name]
            assert time.monotonic() < deadline, f"no worker pool after 180 s: {sorted(waiting)}"
            time.sleep(0.2)
        time.sleep(1)  # runs under way
        for name, process in processes.items():
            assert process.poll() is None, f"{name} ended before Ctrl-C: {process.communicate()}"
            os.killpg(process.pid, signal.SIGINT)
        for name, process in processes.items():
            stdout, stderr = process.communicate(timeout=120)
            done[name] = subprocess.CompletedProcess(commands[name], process.returncode, stdout, stderr)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
    return done


def test_ctrl_c_stops_compare_sweep_and_validate_alike(tmp_path: Path) -> None:
    """Exit 130, one line on stderr saying what was saved (the sweep's finished runs, which a rerun keeps) or
    that nothing was written, no traceback; and no half-written output folder left under the name asked for.
    The three run at once, Ctrl-C coming once their worker pools run; each has far more work than it can do
    by then (8,000 runs of the 1,000-person baseline, about 40 s on two idle workers; 200 replicates of 60
    firms)."""
    from tests.test_bad_input import tiny_comparison, tiny_experiment

    comparison = tiny_comparison(tmp_path, replicates=4000, base="baseline")
    experiment = tiny_experiment(tmp_path, replicates=4000, base="baseline")
    arguments = {
        "compare": [str(comparison)],
        "sweep": [str(experiment)],
        "validate": ["population", "--set", "population.firms=60", "--replicates", "200"],
    }
    said = {"compare": "nothing was written to", "sweep": "runs are saved in", "validate": "nothing was written to"}
    outs = {command: tmp_path / f"{command}-out" for command in arguments}
    commands = {c: [c, *a, "--out", str(outs[c]), "--quiet", "--workers", "2"] for c, a in arguments.items()}
    for command, done in interrupted(commands, tmp_path, workers=2).items():
        out = outs[command]
        assert done.returncode == 130, (command, done.returncode, done.stderr[-2000:])
        assert "interrupted" in done.stderr and said[command] in done.stderr, (command, done.stderr)
        assert str(out) in done.stderr and "Traceback" not in done.stderr, (command, done.stderr[-2000:])
        if command != "sweep":
            assert not out.exists(), command


def test_validate_and_calibrate_run_on_a_dask_cluster_with_the_same_results(cli, tmp_path: Path) -> None:
    """`--scheduler` goes through the same execution layer as local workers: the same tables to the byte."""
    from distributed import LocalCluster

    population = ["population", "--set", "population.firms=12"]
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    try:
        address = cluster.scheduler_address
        runs = {
            "local": ["--workers", "1"],
            "dask": ["--scheduler", address],
        }
        for name, where in runs.items():
            done = cli("validate", *population, "--replicates", "2", "--out", tmp_path / name, "-q", *where)
            assert done.exit_code == 0, (name, done.stderr)
        for table in sorted((tmp_path / "local").glob("*.csv")):
            assert table.read_bytes() == (tmp_path / "dask" / table.name).read_bytes(), table.name
        options = ["--firms", "8", "--replicates", "2", "--budget", "3", "--finalists", "1", "-q"]
        for name, where in runs.items():
            done = cli("calibrate", "population", *options, "--out", tmp_path / f"fit-{name}", *where)
            assert done.exit_code == 0, (name, done.stderr)
        local, dask = (tmp_path / "fit-local" / "fit.csv"), (tmp_path / "fit-dask" / "fit.csv")
        assert local.read_bytes() == dask.read_bytes()
    finally:
        cluster.close()
