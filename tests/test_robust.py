"""Robust comparisons (an `uncertain:` block): worlds drawn by Latin hypercube, the same in every arm; P(best)
and regret; the ranking flipping when a range is widened; worker independence; bad blocks refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.experiments.compare import load_comparison, run_comparison
from sim.experiments.robust import Input, Robustness, Uncertain, robustness, write_robust

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ["firm.employees=48", "weeks=20"]
"""A small firm over a few weeks: each run takes milliseconds."""


def skill_comparison(folder: Path, training_high: float, replicates: int = 12) -> Path:
    """Training against a usage mandate, ranked by mean skill, with the training effect uncertain from 0 to
    `training_high`. A mandate raises skill a little (through use); training raises it by its effect."""
    path = folder / f"skill-{training_high:g}.yaml"
    document = {
        "base": str(BASELINE),
        "replicates": replicates,
        "seed": 3,
        "rank_by": "mean_skill",
        "metrics": ["mean_skill", "pilots_scaled"],
        "uncertain": {"params.effects.training": {"low": 0.0, "high": training_high}},
        "arms": [
            {"name": "training", "interventions": [{"kind": "training", "start": 1, "intensity": 1.0}]},
            {"name": "mandate", "interventions": [{"kind": "mandate", "start": 1, "intensity": 1.0}]},
        ],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def robust_of(path: Path) -> Robustness:
    plan = load_comparison(path, TINY)
    return robustness(plan, run_comparison(plan))


def test_the_ranking_flips_when_the_range_is_widened(tmp_path):
    # Training's effect known to be (nearly) nil: the mandate's small gain in skill makes it the option most
    # often best. Widen the range to what training might do (up to 0.05 of the skill gap a week) and training
    # is best in every world: the same arms, the same seeds, only the range differs.
    narrow = robust_of(skill_comparison(tmp_path, 1e-6)).table().set_index("option")
    wide = robust_of(skill_comparison(tmp_path, 0.05)).table().set_index("option")
    assert narrow.p_best.idxmax() == "mandate" and narrow.p_best["mandate"] > 0.5
    # Measured: training best in all 12 worlds of the wide range. The lowest stratum of the hypercube draws
    # training's effect in [0, 0.0042], near the narrow case, so up to 3 of 12 worlds may go to the mandate.
    assert wide.p_best.idxmax() == "training" and wide.p_best["training"] >= 0.75
    assert wide.regret_mean["training"] < wide.regret_mean["mandate"]
    assert wide.regret_mean["mandate"] > narrow.regret_mean["mandate"]


def test_worlds_are_latin_hypercube_draws_fixed_by_the_seed():
    uncertain = Uncertain((Input("a", low=0.0, high=1.0), Input("b", choices=(1, 2, 3, 4)), Input("c", 1, 9, True)))
    worlds = uncertain.worlds(seed=5, replicates=8)
    assert worlds == uncertain.worlds(seed=5, replicates=8)
    assert worlds != uncertain.worlds(seed=6, replicates=8)
    # Latin hypercube: each eighth of the range holds exactly one draw; each listed value is drawn twice.
    assert sorted(int(w["a"] * 8) for w in worlds) == list(range(8))
    assert sorted(w["b"] for w in worlds) == [1, 1, 2, 2, 3, 3, 4, 4]
    assert all(isinstance(w["c"], int) and 1 <= w["c"] <= 9 for w in worlds)


def test_every_arm_runs_in_the_replicates_world(tmp_path):
    # An arm whose training does nothing in any world (intensity 0) must match the base replicate for
    # replicate: same seed, same world. Were worlds drawn per arm, the drawn culture would differ.
    path = tmp_path / "same-world.yaml"
    document = {
        "base": str(BASELINE),
        "replicates": 4,
        "seed": 1,
        "uncertain": {"firm.levers.culture": {"low": 0.1, "high": 0.9}},
        "arms": [{"name": "idle", "interventions": [{"kind": "training", "start": 1, "intensity": 0.0}]}],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    plan = load_comparison(path, TINY)
    results = run_comparison(plan)
    for base, arm in zip(results.base, results.arms["idle"], strict=True):
        assert base.figures == arm.figures
    skills = [o.figures["mean_skill"] for o in results.base]
    assert len(set(skills)) > 1  # the worlds (and seeds) do differ between replicates


def test_p_best_shares_ties_and_regret_is_the_gap_to_the_best():
    scores = np.array([[1.0, 3.0, 3.0], [5.0, 2.0, 1.0], [0.0, 1.0, 4.0], [2.0, 2.0, 0.0]])
    worlds = [{"x": v} for v in (0.1, 0.4, 0.7, 0.95)]
    rob = Robustness("pilots_scaled", 1, ["base", "a", "b"], (Input("x", low=0.0, high=1.0),), worlds, scores)
    table = rob.table().set_index("option")
    assert table.p_best.to_dict() == pytest.approx({"base": 0.375, "a": 0.25, "b": 0.375})
    assert table.p_best.sum() == pytest.approx(1.0)
    assert table.regret_mean.to_dict() == pytest.approx({"base": 1.5, "a": 1.5, "b": 1.5})
    assert table.regret_p90.to_dict() == pytest.approx({"base": 3.4, "a": 3.0, "b": 3.4})
    # lower-is-better metrics rank the other way
    anxious = Robustness("mean_anxiety", -1, ["base", "a", "b"], rob.inputs, worlds, scores)
    assert anxious.table().set_index("option").p_best["b"] == pytest.approx(0.5)
    by_group = rob.by_group()
    low = by_group[by_group.group.str.startswith("low")].set_index("option").p_best
    assert low.to_dict() == pytest.approx({"base": 0.0, "a": 0.5, "b": 0.5})


def test_robust_outputs_do_not_depend_on_the_worker_count(cli, tmp_path):
    path = skill_comparison(tmp_path, 0.05, replicates=6)
    here = tmp_path / "in-process"
    here.mkdir()
    plan = load_comparison(path, TINY)
    write_robust(plan, run_comparison(plan, workers=1), here)
    out = tmp_path / "two-workers"
    assert (
        cli("compare", path, "--out", out, "--workers", 2, "-q", *sum((["--set", s] for s in TINY), [])).exit_code == 0
    )
    for name in ("robust.csv", "robust_by_input.csv", "worlds.csv", "robust.json"):
        assert (here / name).read_bytes() == (out / name).read_bytes(), name
    assert (out / "figures" / "robustness.png").is_file()
    assert cli("report", out).exit_code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Robustness across uncertain inputs" in page and "P(best)" in page


def test_the_shipped_uncertain_comparison_loads():
    plan = load_comparison(ROOT / "scenarios" / "comparisons" / "insurer-uncertain.yaml", replicates=4)
    assert plan.uncertain is not None and len(plan.worlds) == 4
    assert all(40 <= w["params.effects.infrastructure_weeks"] <= 120 for w in plan.worlds)


@pytest.mark.parametrize(
    ("block", "fragments"),
    [
        ({"params.effects.trainign": {"low": 0, "high": 1}}, ["unknown field", "params.effects.trainign", "training"]),
        ({"params.effects.training": {"low": 0.03, "high": 0.01}}, ["uncertain.params.effects.training", "low < high"]),
        (
            {"params.effects.training": {"low": 0.0, "high": 2.0}},
            ["uncertain.params.effects.training.high", "2.0", "from 0 to 1"],
        ),
        ({"params.effects.training": {"low": 0.0}}, ["uncertain.params.effects.training", "{low: L, high: H}"]),
        ({"firm.industry": ["insurance"]}, ["uncertain.firm.industry", "'insurance'", "financial-services"]),
        ({"params.effects.training": []}, ["uncertain.params.effects.training", "at least one value"]),
        ({"firm.employees": {"low": 100, "high": 200.5}}, ["uncertain.firm.employees", "whole numbers"]),
        ([1, 2], ["field uncertain", "dotted scenario paths"]),
    ],
)
def test_bad_uncertain_blocks_exit_2_naming_file_field_value_and_what_is_allowed(cli, tmp_path, block, fragments):
    path = tmp_path / "bad.yaml"
    document = {
        "base": str(BASELINE),
        "uncertain": block,
        "arms": [{"name": "t", "interventions": [{"kind": "training"}]}],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = cli("compare", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.stdout
    for fragment in [str(path), *fragments]:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
