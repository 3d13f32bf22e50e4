"""`adoptsim discover`: scenario discovery with EMA Workbench's PRIM and CART. A known box is recovered from
uniform points; a small real sweep gets a box, its files and a report section; bad input exits 2 without a
traceback; a user's folder is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import InputError
from sim.experiments.discover import choose_box, discover

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
CULTURE, INFRASTRUCTURE = "firm.levers.culture", "firm.levers.infrastructure"
SMALL = {
    "name": "small",
    "base": str(BASELINE),
    "set": {"firm.employees": 60, "weeks": 26},
    "factors": {
        CULTURE: {"range": [0.05, 0.95]},
        INFRASTRUCTURE: {"range": [0.05, 0.95]},
        "firm.mandate": {"values": [0.0, 0.5]},
    },
    "design": {"kind": "lhs", "samples": 40},
    "seed": 3,
    "outcomes": ["pilots_scaled", "engagement_rate", "usage_rate"],
}
"""A 40-run Latin hypercube of a 60-person firm over half a year: about three seconds in one process."""

TOLERANCE = 0.05
"""How far a recovered limit may sit from the true one. PRIM peels 5% of the points in the box at a time
(peel_alpha), so a limit moves in steps of 5% of the box's extent along that factor: at most 0.05 x 0.4 =
0.02 along a and 0.05 x 0.7 = 0.035 along b once the box is near the truth; the last step can overshoot by
one such step, and with 500 to 1,000 points the runs nearest the boundary are a further ~0.01 away from it
(expected gap 1 / (points in the box's slab)). 0.05 covers step, overshoot and gap; the largest miss over
six seeds tried was 0.045 (b, 500 points)."""


def invoke(*args: object):
    """Run the command line in this process."""
    return CliRunner().invoke(app, [str(a) for a in args])


def synthetic_sweep(folder: Path, runs: pd.DataFrame, factors: list[str], kind: str = "lhs") -> Path:
    """A folder shaped like a finished sweep (experiment.json and runs.parquet) around a table of runs."""
    folder.mkdir(parents=True, exist_ok=True)
    runs = runs.assign(run=range(len(runs)), replicate=0, seed=0, error="")
    runs.to_parquet(folder / "runs.parquet")
    record = {
        "name": folder.name,
        "sha256": "0" * 64,
        "experiment": {"factors": dict.fromkeys(factors, {}), "design": {"kind": kind}},
        "base_scenario": {},
    }
    (folder / "experiment.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


@pytest.mark.parametrize("points, seed", [(500, 2), (1000, 3)])
def test_prim_recovers_a_known_box_from_uniform_points(tmp_path, points, seed):
    """y = 1 exactly where a > 0.6 and b > 0.3, over uniform points in the unit cube; c does not matter."""
    x = np.random.default_rng(seed).uniform(size=(points, 3))
    y = ((x[:, 0] > 0.6) & (x[:, 1] > 0.3)).astype(float)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})
    found = discover(synthetic_sweep(tmp_path / "known", frame, ["a", "b", "c"]), "y", where=">= 1")
    limits = found.limits.set_index("factor")
    assert limits.at["a", "lower"] == pytest.approx(0.6, abs=TOLERANCE)
    assert limits.at["b", "lower"] == pytest.approx(0.3, abs=TOLERANCE)
    assert list(limits.index[limits["restricted"]]) == ["a", "b"], "c and the upper ends are left free"
    assert (
        limits.at["a", "upper"] == limits.at["a", "range_max"]
        and limits.at["b", "upper"] == limits.at["b", "range_max"]
    )
    assert found.stats["coverage"] >= 0.9 and found.stats["density"] >= 0.95
    assert limits.loc[["a", "b"], "qp_lower"].max() < 1e-10, "both limits are significant"
    assert found.sentence.startswith("y >= 1 in ") and "a ≥ 0.6" in found.sentence and "b ≥ 0." in found.sentence


def test_the_box_chosen_is_the_densest_covering_enough():
    trajectory = pd.DataFrame(
        {"coverage": [1.0, 0.9, 0.75, 0.7, 0.5], "density": [0.3, 0.5, 0.8, 0.8, 1.0], "res_dim": [0, 1, 2, 2, 3]}
    )
    assert choose_box(trajectory, 0.7) == 2, "of equally dense boxes, the one covering more"
    assert choose_box(trajectory, 0.95) == 0 and choose_box(trajectory, 0.5) == 4


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory) -> Path:
    """The small sweep, run once by adoptsim sweep in this process."""
    folder = tmp_path_factory.mktemp("discover")
    experiment = folder / "small.yaml"
    experiment.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    result = invoke("sweep", experiment, "--out", folder / "sweep", "--workers", "1", "-q")
    assert result.exit_code == 0, result.stderr
    return folder / "sweep"


@pytest.fixture(scope="module")
def discovered(small_sweep) -> tuple[Path, str]:
    """adoptsim discover on the small sweep: the top quarter of runs by engagement."""
    result = invoke("discover", small_sweep, "--outcome", "engagement_rate", "--top", "0.25")
    assert result.exit_code == 0, result.stderr
    return small_sweep / "discovery-engagement_rate", result.stdout


def test_discover_prints_a_box_and_writes_its_files(discovered):
    folder, stdout = discovered
    assert "PRIM box" in stdout and "coverage" in stdout and "density" in stdout and "quasi-p" in stdout
    assert "engagement_rate >= " in stdout and "of runs where" in stdout and "the box covers" in stdout
    names = {p.name for p in folder.iterdir()} | {f"figures/{p.name}" for p in (folder / "figures").iterdir()}
    for name in [
        "discovery.json",
        "discovery.csv",
        "trajectory.csv",
        "cart.txt",
        "manifest.json",
        "figures/trajectory.png",
        "figures/box.png",
        "figures/cart.png",
    ]:
        assert name in names
    data = json.loads((folder / "discovery.json").read_text(encoding="utf-8"))
    assert data["outcome"] == "engagement_rate" and data["runs"] == 40 and 0 < data["runs_of_interest"] < 40
    box = data["box"]
    assert {"coverage", "density", "mass", "limits", "conditions"} <= set(box)
    assert 0 < box["mass"] <= 1 and box["coverage"] >= 0.7, "the rule: densest box covering at least 70%"
    assert data["trajectory"][0]["coverage"] == 1 and data["trajectory"][box["id"]]["density"] == box["density"]
    table = pd.read_csv(folder / "discovery.csv")
    assert set(table["factor"]) == {CULTURE, INFRASTRUCTURE, "firm.mandate"}
    assert {"lower", "upper", "qp_lower", "qp_upper", "restricted"} <= set(table.columns)
    assert "class: of interest" in (folder / "cart.txt").read_text(encoding="utf-8")
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["command_kind"] == "discover"


def test_the_sweep_report_holds_the_discovery(discovered, small_sweep):
    folder, _ = discovered
    assert invoke("report", small_sweep).exit_code == 0
    page = (small_sweep / "report.html").read_text(encoding="utf-8")
    sentence = json.loads((folder / "discovery.json").read_text(encoding="utf-8"))["sentence"]
    assert "Scenario discovery: engagement_rate &gt;= " in page
    assert sentence.split(";")[0].replace(">", "&gt;") in page
    assert page.count("data:image/png;base64") >= 3


def test_discover_again_replaces_its_own_output_but_not_a_users_folder(discovered, small_sweep, tmp_path):
    again = invoke("discover", small_sweep, "--outcome", "engagement_rate", "--where", ">= 0.05", "-q")
    assert again.exit_code == 0, again.stderr
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("my thesis\n", encoding="utf-8")
    refused = invoke("discover", small_sweep, "--outcome", "usage_rate", "--where", "> 0.5", "--out", mine)
    assert refused.exit_code == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]
    forced = invoke("discover", small_sweep, "--outcome", "usage_rate", "--where", "> 0.5", "--out", mine, "--force")
    assert forced.exit_code == 0 and (mine / "discovery.json").is_file()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--outcome", "nope", "--where", ">= 1"], ["--outcome 'nope'", "Allowed: pilots_scaled, engagement_rate"]),
        (["--outcome", "usage_rate", "--where", "> 5"], ["--where '> 5'", "none of the 40", "usage_rate runs from"]),
        (["--outcome", "usage_rate", "--where", ">= 0"], ["every one of the 40"]),
        (["--outcome", "usage_rate", "--where", "more than 3"], ["--where 'more than 3'", ">=, >, <=, <, ==, !="]),
        (["--outcome", "usage_rate"], ["--where and --top", "exactly one"]),
        (["--outcome", "usage_rate", "--top", "1.5"], ["--top 1.5", "between 0 and 1"]),
        (["--outcome", "usage_rate", "--top", "0.3", "--box", "999"], ["--box 999", "boxes 0 to"]),
    ],
)
def test_bad_options_exit_2_naming_option_value_and_what_is_allowed(small_sweep, args, fragments):
    result = invoke("discover", small_sweep, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_a_folder_that_is_not_a_finished_sweep_is_refused(tmp_path):
    for folder, fragment in [
        (tmp_path / "nowhere", "no such folder"),
        (tmp_path, "not a sweep folder: it holds no experiment.json"),
    ]:
        result = invoke("discover", folder, "--outcome", "pilots_scaled", "--where", ">= 5")
        assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.stderr
    unfinished = tmp_path / "unfinished"
    synthetic_sweep(unfinished, pd.DataFrame({"a": [0.1, 0.2], "y": [0.0, 1.0]}), ["a"])
    (unfinished / "runs.parquet").unlink()
    result = invoke("discover", unfinished, "--outcome", "y", "--where", ">= 1")
    assert result.exit_code == 2 and "has not finished" in result.stderr


def test_a_sweep_without_a_numeric_factor_is_refused(tmp_path):
    runs = pd.DataFrame({"firm.industry": ["retail", "technology"] * 10, "y": [0.0, 1.0] * 10})
    folder = synthetic_sweep(tmp_path / "industries", runs, ["firm.industry"])
    result = invoke("discover", folder, "--outcome", "y", "--where", ">= 1")
    assert result.exit_code == 2 and "no numeric factor" in result.stderr and "firm.industry" in result.stderr
    with pytest.raises(InputError, match="no numeric factor"):
        discover(folder, "y", where=">= 1")


def test_a_categorical_factor_beside_numeric_ones_is_kept_as_categories(tmp_path):
    rng = np.random.default_rng(5)
    culture = rng.uniform(size=400)
    industry = rng.choice(["retail", "technology", "healthcare"], size=400)
    y = ((culture > 0.5) & (industry == "technology")).astype(float)
    frame = pd.DataFrame({"culture": culture, "firm.industry": industry, "y": y})
    found = discover(synthetic_sweep(tmp_path / "mixed", frame, ["culture", "firm.industry"]), "y", where="== 1")
    limits = found.limits.set_index("factor")
    assert limits.at["firm.industry", "values"] == "technology"
    assert limits.at["culture", "lower"] == pytest.approx(0.5, abs=TOLERANCE)
    assert "industry is technology" in found.sentence
