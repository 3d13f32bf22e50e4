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
    """One validation of a smaller fitted population, shared by the tests below: 60 firms over 10 replicates
    with fixed seeds from the validation stream, which the calibration never used.

    Tolerance: 600 firm draws give a stage share near 0.3 a standard error near 0.025 (population mix and
    chance together; 0.026 measured over ten seeds), a third of the bands' half-width of 0.08; the POC shares,
    pooled over thousands of POCs, vary far less. The fitted means sit within 0.045 of the published values
    except experimenting (about 0.37 over 6,000 firm draws, 0.03 inside its band's upper edge, 0.40). So
    a configuration of this size lands inside every band unless experimenting strays 1.3 standard errors
    upward: over seeds 0 to 9 at this size, 9 of 10 put every target inside (the miss: experimenting at
    0.41). A model that missed any target by a band's width would fail at every seed."""
    out = tmp_path_factory.mktemp("validate") / "population"
    args = ["validate", "--set", "population.firms=60", "--replicates", "10", "--seed", "0", "--out", str(out)]
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
