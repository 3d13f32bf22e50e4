"""`adoptsim run`: the output contract of DESIGN.md section 7 and reproducibility to the bit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

DETERMINISTIC_FILES = ("summary.json", "timeseries.csv", "pilots.csv")


def test_run_writes_the_contracted_files(cli, tmp_path: Path) -> None:
    out = tmp_path / "base"
    result = cli("run", "baseline", "--weeks", "30", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "Pilot funnel" in result.stdout and "regular users" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "baseline" and manifest["seed"] == 0 and len(manifest["scenario_sha256"]) == 64
    assert {"adoptsim", "mesa", "python"} <= set(manifest["versions"])
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "pilots_started",
        "pilots_reached_production",
        "pilots_scaled",
        "usage_rate",
        "engagement_rate",
        "mean_anxiety",
    ):
        assert key in summary
    timeseries = pd.read_csv(out / "timeseries.csv")
    assert list(timeseries["week"]) == list(range(31))
    pilots = pd.read_csv(out / "pilots.csv")
    assert {"team", "kind", "platform", "stage_reached", "weeks", "outcome"} <= set(pilots.columns)
    assert len(pilots) == summary["pilots_proposed"]
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == sorted(
        ["distributions.png", "funnel.png", "pilots_by_kind_platform.png", "pipeline.png", "usage_vs_engagement.png"]
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folders left behind"


def test_same_seed_gives_identical_bytes_and_other_seeds_differ(cli, tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert cli("run", "fragmented", "--seed", seed, "--out", tmp_path / name, "-q").exit_code == 0
    for file in DETERMINISTIC_FILES:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
        assert (tmp_path / "a" / file).read_bytes() != (tmp_path / "c" / file).read_bytes(), file


def test_same_seed_gives_identical_bytes_across_processes(tmp_path: Path) -> None:
    """Separate interpreters (fresh hash seeds, fresh imports) still agree to the byte."""
    for name in ("p1", "p2"):
        command = [
            sys.executable,
            "-m",
            "sim",
            "run",
            "anxious-mandate",
            "--weeks",
            "40",
            "--seed",
            "3",
            "--out",
            str(tmp_path / name),
            "-q",
        ]
        subprocess.run(command, check=True, capture_output=True)
    for file in DETERMINISTIC_FILES:
        assert (tmp_path / "p1" / file).read_bytes() == (tmp_path / "p2" / file).read_bytes(), file


def test_set_overrides_reach_the_model(cli, tmp_path: Path) -> None:
    out = tmp_path / "small"
    assert (
        cli(
            "run",
            "baseline",
            "--set",
            "firm.employees=120",
            "--set",
            "firm.name=Tiny",
            "--weeks",
            "5",
            "--out",
            out,
            "-q",
        ).exit_code
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["employees"] == 120
    assert set(pd.read_csv(out / "timeseries.csv")["firm_name"]) == {"Tiny"}


def test_rerun_replaces_earlier_results(cli, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert cli("run", "small-firm", "--weeks", "3", "--out", out, "-q").exit_code == 0
    (out / "stale.txt").write_text("from before")
    assert cli("run", "small-firm", "--weeks", "4", "--out", out, "-q").exit_code == 0
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "summary.json").read_text())["weeks"] == 4


def test_employee_states_are_written_every_k_weeks(cli, tmp_path: Path) -> None:
    out = tmp_path / "people"
    assert cli("run", "small-firm", "--weeks", "30", "--employees", "10", "--out", out, "-q").exit_code == 0
    employees = pd.read_parquet(out / "employees.parquet")
    assert sorted(employees["week"].unique()) == [10, 20, 30]
    assert (employees.groupby("week").size() == 60).all()
    final = employees[employees["week"] == 30]
    summary = json.loads((out / "summary.json").read_text())
    assert final["anxiety"].mean() == pytest.approx(summary["mean_anxiety"])
    assert set(final["state"]) <= {"non-user", "compliant user", "committed user", "engaged adopter"}
