"""adoptsim validate: the shipped (fitted) population answers the surveys inside every tolerance band, and
validation.json keeps the contract of DESIGN.md section 7 with the definitions and breakdowns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.targets import TARGETS
from sim.survey import SURVEY_STAGES

STAGE_COLUMNS = [f"stage_{s.replace(' ', '_')}" for s in SURVEY_STAGES]


@pytest.fixture(scope="module")
def validation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """One validation of a smaller fitted population, shared by the tests below: 80 firms (the shipped file has
    100) over 10 replicates with fixed seeds from the validation stream, which the calibration never used.

    Tolerance, measured over validation seeds 0 to 9 at this size (2026-12-02): every target was inside its
    band at all ten. The closest to an edge are firms over $5B at least scaling (mean 0.46, standard
    deviation 0.055 between seeds, lowest 0.39 against an edge at 0.38: about 130 firm draws per validation),
    firms under $100M (0.23, sd 0.028, lowest 0.195 against 0.19), the anxious-usage ratio (1.18, sd 0.07,
    lowest 1.05 against 1.0) and regular use (0.93, sd 0.009, highest 0.938 against 0.94). At 60 firms six
    seeds of ten put every target inside (the misses: firms over $5B, three times); at 100 firms nine of ten
    (firms under $100M at 0.154 once). The margin is not the same for every target: most sit two standard
    deviations or more inside their bands, but regular use sits about one (0.009) below its upper edge, so
    about one validation seed in seven at this size could put it just above 0.94 (none of seeds 0-9 did; seed 0,
    used here, is fixed). A model that missed any target by a band's width would fail at every seed."""
    out = tmp_path_factory.mktemp("validate") / "population"
    args = ["validate", "--set", "population.firms=80", "--replicates", "10", "--seed", "0", "--out", str(out)]
    return CliRunner().invoke(app, args), out


def test_every_target_inside_its_band(validation) -> None:
    result, out = validation
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "validation.json").read_text())
    assert [t["name"] for t in record["targets"]] == [t.name for t in TARGETS]
    misses = [t for t in record["targets"] if not t["in_band"]]
    assert not misses, misses
    assert f"{len(TARGETS)} of {len(TARGETS)} targets inside their bands" in result.stdout


def test_validation_json_keeps_the_contract(validation) -> None:
    _, out = validation
    record = json.loads((out / "validation.json").read_text())
    for target in record["targets"]:
        assert {"name", "published", "simulated_mean", "ci95", "band", "in_band"} <= set(target)
        low, high = target["ci95"]
        assert low <= target["simulated_mean"] <= high
        assert target["in_band"] == (target["band"][0] <= target["simulated_mean"] <= target["band"][1])
    assert set(record["definitions"]) == {t.name for t in TARGETS}
    assert record["replicates"] == 10 and len(set(record["seeds"])) == 10
    assert (out / "figures" / "validation.png").stat().st_size > 0


def test_breakdowns_cover_every_band_industry_and_anxiety_level(validation) -> None:
    _, out = validation
    breakdowns = json.loads((out / "validation.json").read_text())["breakdowns"]
    bands = {row["revenue_band"] for row in breakdowns["by_revenue_band"]}
    assert bands == {"under-100m", "100m-1b", "1b-5b", "over-5b"}
    assert len(breakdowns["by_industry"]) >= 6
    for row in breakdowns["by_revenue_band"] + breakdowns["by_industry"]:
        assert sum(row[c] for c in STAGE_COLUMNS) == pytest.approx(1)
    anxiety = breakdowns["by_anxiety"]
    assert [row["level"] for row in anxiety] == ["low", "medium", "high"]
    assert sum(row["employee_share"] for row in anxiety) == pytest.approx(1)
    # Usage is not adoption (DESIGN.md section 2.3): anxious employees still use AI, but engage far less.
    low, _, high = anxiety
    assert high["engaged"] < low["engaged"]


def test_validation_needs_a_population(cli, tmp_path: Path) -> None:
    out = tmp_path / "v"
    result = cli("validate", "baseline", "--out", out, "--replicates", 2)
    assert result.exit_code == 2
    assert "baseline" in result.stderr and "population" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_validation_does_not_depend_on_the_worker_count(tmp_path: Path) -> None:
    folders = {}
    for workers in (1, 2):
        folders[workers] = tmp_path / f"workers-{workers}"
        args = ["validate", "--set", "population.firms=8", "--replicates", "3", "--workers", str(workers)]
        assert CliRunner().invoke(app, [*args, "--out", str(folders[workers]), "-q"]).exit_code == 0
    for name in ("validation.json", "targets.csv", "stages_by_revenue_band.csv", "employees_by_anxiety.csv"):
        assert (folders[1] / name).read_bytes() == (folders[2] / name).read_bytes(), name
