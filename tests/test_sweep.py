"""`adoptsim sweep`: a 200-run sweep with its progress bar and runs table; the same table with one worker,
two workers and a Dask cluster; resuming after SIGKILL without running finished runs again; failing runs
recorded; folders of another experiment refused; and the sweep figures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import polars as pl
import pytest
import yaml
from distributed import LocalCluster
from typer.testing import CliRunner

import sim.experiments.sweep as sweep_module
from sim.cli import app
from sim.experiments.figures import effects_figure, heat_map_figure

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CULTURE, INFRASTRUCTURE = "firm.levers.culture", "firm.levers.infrastructure"
OUTCOMES = ["pilots_started", "engagement_rate"]
SERIES = ["usage_rate_w13", "usage_rate_w26"]
RUNS = 200
EXPERIMENT = {
    "name": "culture-infrastructure",
    "base": str(BASELINE),
    "set": {"firm.employees": 100, "weeks": 26},
    "factors": {CULTURE: {"range": [0.1, 0.9]}, INFRASTRUCTURE: {"values": [0.2, 0.8]}},
    "design": {"kind": "grid", "levels": 5},
    "replicates": 20,
    "seed": 7,
    "outcomes": OUTCOMES,
    "timeseries": {"every": 13, "columns": ["usage_rate"]},
}
"""A 200-run sweep (5 x 2 points x 20 replicates) of a small firm, quick enough to run several times."""


def sweep(*args: object) -> tuple[int, str, str]:
    """Invoke `adoptsim sweep` in this process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, ["sweep", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def arguments(experiment: Path, out: Path) -> list[str]:
    """The arguments of a sweep with two local workers."""
    return ["sweep", str(experiment), "--out", str(out), "--workers", "2"]


def part_stamps(out: Path) -> dict[str, tuple[int, int]]:
    """Each saved part's inode and modification time: a part written again would change them."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "parts").glob("run-*.parquet")}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """The 200-run experiment file."""
    path = tmp_path_factory.mktemp("experiment") / "experiment.yaml"
    path.write_text(yaml.safe_dump(EXPERIMENT, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> tuple[Path, str]:
    """The sweep run once, uninterrupted, in this process (one worker): its folder and its progress output."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    code, stdout, stderr = sweep(experiment, "--out", out, "--workers", "1")
    assert code == 0, stderr
    return out, stderr


@pytest.fixture
def cluster() -> Iterator[str]:
    """A two-worker Dask cluster on 127.0.0.1, closed afterwards: its scheduler's address."""
    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    try:
        yield local.scheduler_address
    finally:
        local.close()


def test_a_200_run_sweep_writes_one_row_per_run_with_a_progress_bar(reference):
    out, progress = reference
    assert f"{RUNS}/{RUNS}" in progress and "runs, 0 failed" in progress
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns) == ["run", CULTURE, INFRASTRUCTURE, "replicate", "seed", *OUTCOMES, *SERIES, "error"]
    assert runs["run"].tolist() == list(range(RUNS))
    assert runs["replicate"].tolist() == list(range(20)) * 10
    assert runs["seed"].tolist() == [
        int(np.random.SeedSequence(7, spawn_key=(i,)).generate_state(1)[0]) for i in range(RUNS)
    ]
    points = runs.groupby([CULTURE, INFRASTRUCTURE]).size()
    assert sorted(points.index) == [(c, i) for c in (0.1, 0.3, 0.5, 0.7, 0.9) for i in (0.2, 0.8)]
    assert (points == 20).all()
    assert (runs["error"] == "").all() and runs[OUTCOMES + SERIES].notna().all().all()
    assert runs["pilots_started"].nunique() > 1
    in_polars = pl.read_parquet(out / "runs.parquet")
    assert in_polars.columns == list(runs.columns) and in_polars["seed"].to_list() == runs["seed"].tolist()


def test_the_sweep_draws_its_figures(reference):
    out, _ = reference
    for name in ("effects.png", "heatmaps.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_workers_give_the_same_table_as_one(experiment, reference, tmp_path):
    code, _, stderr = sweep(experiment, "--out", tmp_path / "sweep", "--workers", "2", "--quiet")
    assert code == 0, stderr
    assert (tmp_path / "sweep" / "runs.parquet").read_bytes() == (reference[0] / "runs.parquet").read_bytes()


def test_a_dask_cluster_gives_the_same_table_as_one_worker(experiment, reference, cluster, tmp_path):
    code, _, stderr = sweep(experiment, "--out", tmp_path / "sweep", "--scheduler", cluster, "--quiet")
    assert code == 0, stderr
    assert (tmp_path / "sweep" / "runs.parquet").read_bytes() == (reference[0] / "runs.parquet").read_bytes()


def interrupt_midway(experiment: Path, out: Path, sig: signal.Signals) -> tuple[int, str]:
    """Start the sweep as a command of its own, in a process group of its own; once 20 runs are saved, send
    `sig` to the whole group (the command, its fork server and its workers). Its exit code and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", *arguments(experiment, out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(part_stamps(out)) < 20 if (out / "parts").is_dir() else True:
            assert process.poll() is None and time.monotonic() < deadline, "the sweep ended before it was stopped"
            time.sleep(0.005)
        os.killpg(process.pid, sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return process.returncode, stderr


def test_a_killed_sweep_resumes_without_running_finished_runs_again(experiment, reference, tmp_path):
    out = tmp_path / "sweep"
    code, _ = interrupt_midway(experiment, out, signal.SIGKILL)
    assert code == -signal.SIGKILL
    before = part_stamps(out)
    assert 20 <= len(before) < RUNS and not (out / "runs.parquet").exists()
    code, stdout, stderr = sweep(*arguments(experiment, out)[1:])
    assert code == 0, stderr
    assert f"{RUNS - len(before)} runs ran ({len(before)} were already done)" in stdout
    after = part_stamps(out)
    assert {name: after[name] for name in before} == before
    assert len(after) == RUNS and not list((out / "parts").glob(".*"))
    assert (out / "runs.parquet").read_bytes() == (reference[0] / "runs.parquet").read_bytes()


def test_ctrl_c_stops_the_sweep_and_says_how_to_resume(experiment, tmp_path):
    out = tmp_path / "sweep"
    code, stderr = interrupt_midway(experiment, out, signal.SIGINT)
    saved = len(part_stamps(out))
    assert code == 130
    assert f"interrupted: {saved} of {RUNS} runs are saved" in stderr and "run the same command" in stderr
    assert "Traceback" not in stderr
    assert 20 <= saved < RUNS and not list((out / "parts").glob(".*"))


def test_a_failing_run_is_recorded_with_its_error_and_seed_and_the_sweep_goes_on(monkeypatch, tmp_path):
    real_run = sweep_module.run
    failing_seed = int(np.random.SeedSequence(7, spawn_key=(13,)).generate_state(1)[0])

    def run_failing_at_seed(scenario, seed):
        if seed == failing_seed:
            raise RuntimeError("the model fell over")
        return real_run(scenario, seed)

    monkeypatch.setattr(sweep_module, "run", run_failing_at_seed)
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(yaml.safe_dump({**EXPERIMENT, "replicates": 2}, sort_keys=False), encoding="utf-8")
    code, stdout, stderr = sweep(experiment, "--out", tmp_path / "sweep", "--workers", "1")
    assert code == 0, stderr
    assert "1 of 20 failed" in stdout and "runs, 1 failed" in stderr
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    failed = runs[runs["error"] != ""]
    assert failed["run"].tolist() == [13] and failed["seed"].tolist() == [failing_seed]
    assert failed["error"].iloc[0] == "RuntimeError: the model fell over"
    assert failed[OUTCOMES + SERIES].isna().all().all() and runs.drop(index=13)[OUTCOMES].notna().all().all()
    assert (failed[CULTURE].iloc[0], failed[INFRASTRUCTURE].iloc[0], failed["replicate"].iloc[0]) == (0.7, 0.2, 1)
    assert (tmp_path / "sweep" / "figures" / "effects.png").exists()


def test_a_folder_of_another_experiment_is_refused(experiment, reference, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({**EXPERIMENT, "seed": 8}), encoding="utf-8")
    before = part_stamps(reference[0])
    code, _, stderr = sweep(other, "--out", reference[0], "--workers", "1")
    assert code == 2
    assert "holds a different experiment ('culture-infrastructure'" in stderr and "Give another --out" in stderr
    assert part_stamps(reference[0]) == before


def test_a_folder_that_is_not_a_sweep_is_refused(experiment, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, stderr = sweep(experiment, "--out", tmp_path, "--workers", "1")
    assert code == 2
    assert "holds no experiment.json" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_outcome_against_a_factor_is_the_median_with_a_10_to_90_band():
    runs = pd.DataFrame({"x": [1.0] * 11 + [2.0] * 11, "y": list(range(11)) + list(range(100, 111))})
    fig = effects_figure(runs, ["x"], ["y"])
    ax = fig.axes[0]
    assert ax.lines[0].get_ydata().tolist() == [5.0, 105.0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert {1.0, 9.0, 101.0, 109.0} <= set(band.round(6))
    plt.close(fig)


def test_a_heat_map_shows_the_median_in_each_cell_and_bins_many_valued_factors():
    rng = np.random.default_rng(0)
    runs = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.choice(["low", "high"], 400)})
    runs["y"] = np.where(runs["b"] == "high", 10, 0) + (runs["a"] > 0.5)
    fig = heat_map_figure(runs, "a", "b", ["y"])
    cells = fig.axes[0].images[0].get_array()
    assert cells.shape == (2, 10)
    assert cells[0].tolist() == [10] * 5 + [11] * 5 and cells[1].tolist() == [0] * 5 + [1] * 5
    plt.close(fig)
