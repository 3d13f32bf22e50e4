"""adoptsim calibrate: it improves the fit over the uncalibrated defaults, writes a fitted scenario that
loads, and resumes after being killed without running finished trials again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

from sim.experiments.calibrate import FREE_PARAMETERS, STUDY_FILE, STUDY_NAME, free_values, score_candidate, with_values
from sim.experiments.targets import TARGETS, VALIDATION_STREAM, replicate_seeds
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POPULATION = "population.firms=100"
UNCALIBRATED = ["baseline", "--set", DEFAULT_POPULATION]
"""The baseline firm drawn as a population with the schema's defaults: the model before any fitting."""
POOR_START = ["population.agents_per_firm=240", "params.pilots.intake=0.002", "params.adoption.q=0.01"]
"""A deliberately poor starting point (a tenth of the default intake, little imitation), on firms sampled to
240 employees so that trials take a fraction of a second."""


def completed_trials(folder: Path) -> dict[int, tuple[float, dict]]:
    """Number -> (objective, values) of the study's completed trials, read from its journal."""
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(folder / STUDY_FILE)))
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage)
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    return {t.number: (t.value, t.params) for t in done}


def test_calibration_improves_on_a_poor_start(cli, tmp_path: Path) -> None:
    out = tmp_path / "fit"
    options = ("--firms", 40, "--replicates", 2, "--budget", 60, "--finalists", 3, "--out", out, "-q")
    poor = [item for setting in POOR_START for item in ("--set", setting)]
    result = cli("calibrate", *UNCALIBRATED, *poor, *options)
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "calibration.json").read_text())
    assert record["evaluations"] == 60
    # On the same replicates as the defaults were scored on, the chosen trial scores better.
    assert record["objective"]["chosen_in_search"] < record["objective"]["start"]
    fitted = load_scenario(out / "fitted.yaml")
    assert fitted.population.firms == 100, "--firms sizes the calibration only, the fitted file keeps the input's"
    for path, value in record["fitted_values"].items():
        assert free_values(fitted)[path] == pytest.approx(value, rel=1e-3)
    for name in ("fit.csv", "trials.csv", "identifiability.csv", "figures/fit.png", "figures/history.png"):
        assert (out / name).stat().st_size > 0, name
    spans = record["identifiability"]["near_optimal_ranges"]
    assert [row["parameter"] for row in spans] == [f.path for f in FREE_PARAMETERS]
    for row in spans:
        assert 0 <= row["share_of_range"] <= 1
        assert row["near_optimal_low"] <= record["fitted_values"][row["parameter"]] <= row["near_optimal_high"]

    # The improvement is not the luck of the calibration's own replicates: on 6 replicates it never saw
    # (another seed stream), the fitted values still score better than the start. Measured on four such
    # held-out sets (2026-12-02), the start scores 244 to 260 and the fitted values 38 to 42 (60 trials, the
    # first the start itself, the next 34 random, the rest guided by TPE): the margin is six-fold.
    small = load_scenario("baseline", ["population.firms=40", *POOR_START])
    fresh = replicate_seeds(7, 6, VALIDATION_STREAM)
    before = score_candidate(small, free_values(small), fresh).objective
    after = score_candidate(small, record["fitted_values"], fresh).objective
    assert after < before, (before, after)
    assert with_values(small, record["fitted_values"]).params != small.params


def test_elasticities_show_which_target_each_parameter_moves(cli, tmp_path: Path) -> None:
    """Moving a parameter down and up on common replicates changes only the targets it acts on: the value a
    pilot delivers in production feeds nothing but the value run-rate, so it can move EBIT impact (never
    down: the runs are otherwise identical) and no other target at all, while a higher Bass innovation rate
    brings more firms to regular use."""
    out = tmp_path / "fit"
    options = ("--firms", 8, "--replicates", 1, "--budget", 1, "--finalists", 1, "--out", out, "-q")
    assert cli("calibrate", *UNCALIBRATED, *options, "--elasticities").exit_code == 0
    table = pd.read_csv(out / "elasticities.csv").set_index("parameter")
    assert list(table.index) == [f.path for f in FREE_PARAMETERS]
    assert list(table.columns) == [t.name for t in TARGETS]
    value_share = table.loc["params.pilots.production_share"]
    assert (value_share.drop("ebit_impact") == 0).all() and value_share["ebit_impact"] >= 0
    assert table.loc["params.adoption.p", "regular_use"] > 0
    assert (out / "figures" / "elasticities.png").stat().st_size > 0


def small_firms(folder: Path) -> Path:
    """A population of small firms only: trials take a fraction of a second, and resuming does not depend
    on the population."""
    path = folder / "small-firms.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        "population:\n  firms: 100\n  bands:\n    under-100m: {share: 1.0, employees: [20, 200]}\n",
        encoding="utf-8",
    )
    return path


def start_calibration(scenario: Path, out: Path, budget: int) -> subprocess.Popen:
    """A calibration in its own process group (so the kill takes every process it started)."""
    command = [sys.executable, "-m", "sim", "calibrate", str(scenario), "--firms", "10", "--replicates", "1"]
    command += ["--finalists", "1"]
    return subprocess.Popen(
        [*command, "--budget", str(budget), "--out", str(out), "-q"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_trials(out: Path, process: subprocess.Popen, at_least: int, timeout: float = 120) -> None:
    """Poll the journal until `at_least` trials have completed (the process must still be running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (out / STUDY_FILE).exists() and len(completed_trials(out)) >= at_least:
            return
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} trials completed in {timeout} s")


def test_calibration_resumes_after_kill(tmp_path: Path) -> None:
    scenario, out, budget = small_firms(tmp_path), tmp_path / "fit", 14
    process = start_calibration(scenario, out, budget)
    try:
        wait_for_trials(out, process, at_least=4)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = completed_trials(out)
    assert 4 <= len(before) < budget, "the kill must land midway"

    finished = start_calibration(scenario, out, budget)
    assert finished.wait(timeout=300) == 0, finished.stderr.read().decode()
    after = completed_trials(out)
    assert len(after) == budget
    for number, (value, params) in before.items():
        assert after[number] == (value, params), "a finished trial must be kept as it was"
    record = json.loads((out / "calibration.json").read_text())
    new_trials = set(after) - set(before)
    assert len(new_trials) == budget - len(before), "only the missing trials run after the restart"
    assert record["evaluations"] == budget and record["interrupted_trials_discarded"] in (0, 1)
    assert min(new_trials) > max(before), "the restart continues the study rather than starting it anew"


def test_calibration_does_not_depend_on_the_worker_count(cli, tmp_path: Path) -> None:
    """Replicates run in worker processes come back in seed order: the same trials score the same."""
    tables = []
    for workers in (1, 2):
        out = tmp_path / f"workers-{workers}"
        options = ("--firms", 5, "--replicates", 2, "--budget", 3, "--finalists", 1, "--workers", workers, "-q")
        assert cli("calibrate", *UNCALIBRATED, *options, "--out", out).exit_code == 0
        tables.append(pd.read_csv(out / "trials.csv").drop(columns="seconds"))
        tables.append(pd.read_csv(out / "fit.csv"))
    pd.testing.assert_frame_equal(tables[0], tables[2])
    pd.testing.assert_frame_equal(tables[1], tables[3])


def test_calibration_refuses_a_folder_of_another_calibration(cli, tmp_path: Path) -> None:
    out = tmp_path / "fit"
    common = ("--firms", 4, "--replicates", 1, "--budget", 1, "--finalists", 1, "--out", out, "-q")
    assert cli("calibrate", *UNCALIBRATED, *common).exit_code == 0
    result = cli("calibrate", *UNCALIBRATED, "--seed", 5, *common)
    assert result.exit_code == 2
    assert str(out) in result.stderr and "seed" in result.stderr and "Traceback" not in result.stderr


def test_calibration_needs_a_population(cli, tmp_path: Path) -> None:
    result = cli("calibrate", "baseline", "--out", tmp_path / "fit", "--budget", 1)
    assert result.exit_code == 2
    assert "baseline" in result.stderr and "population" in result.stderr
    assert not (tmp_path / "fit").exists()
