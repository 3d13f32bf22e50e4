"""`adoptsim compare`: the statistics of paired replicates, common random numbers, worker independence,
the shipped comparison end to end, and bad comparison files refused with exit code 2."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.experiments.compare import (
    DEFAULT_METRICS,
    METRICS,
    TABLE_COLUMNS,
    comparison_table,
    cost_per_extra_scaled_pilot,
    load_comparison,
    paired_interval,
    run_comparison,
    run_paired_replicates,
    share_better,
    values,
)
from sim.experiments.execution import run_seed

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "comparisons" / "interventions.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def write_comparison_file(folder: Path, arms: list[dict], **fields) -> Path:
    """A comparison file in `folder` against the shipped baseline (by absolute path)."""
    path = folder / "comparison.yaml"
    path.write_text(yaml.safe_dump({"base": str(BASELINE), "arms": arms, **fields}), encoding="utf-8")
    return path


def assert_refused(result, path: Path, fragments: list[str]) -> None:
    """Bad input: exit code 2 and a message naming the file and each expected fragment, without a traceback."""
    assert result.exit_code == 2
    for fragment in [str(path), *fragments]:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_paired_interval_is_the_t_interval_of_the_differences():
    diffs = np.array([1.0, 2.0, 3.0, 4.0, 7.0])
    expected = stats.ttest_1samp(diffs, 0).confidence_interval(0.95)
    assert paired_interval(diffs) == pytest.approx((expected.low, expected.high))
    assert paired_interval(np.full(6, 2.0)) == (2.0, 2.0)


def test_better_follows_the_metric_direction():
    diffs = np.array([-0.1, -0.2, 0.0, 0.3])
    assert share_better("engagement_rate", diffs) == 0.25
    assert share_better("mean_anxiety", diffs) == 0.5  # lower anxiety is better; a tie is not a win
    assert METRICS["duplicate_pilots"].better == -1


def test_cost_per_extra_scaled_pilot_is_empty_without_a_gain():
    assert cost_per_extra_scaled_pilot(600_000, 2.0) == 300_000
    assert math.isnan(cost_per_extra_scaled_pilot(600_000, 0.0))
    assert math.isnan(cost_per_extra_scaled_pilot(600_000, -1.5))


def test_run_seeds_come_from_seed_sequences():
    assert run_seed(7, 3) == int(np.random.SeedSequence(7, spawn_key=(3,)).generate_state(1)[0])
    assert len({run_seed(7, r) for r in range(50)}) == 50


def test_common_random_numbers_narrow_the_interval_of_the_difference():
    """Reassurance against the base in a 400-person firm, 16 replicates: once with the base's seeds (common
    random numbers), once with independent seeds. Employees' starting attitudes, anxieties and networks come
    first from the seed, so under common random numbers arm and base share them and the paired difference
    cancels much of the spread between replicates. Measured width ratios (2026-12-02) across four sets of
    independent seeds: usage 0.31 to 0.51, engagement 0.51 to 0.72, anxiety 0.36 to 0.43 (engagement gains
    least: use without engagement feeds anxiety back, so arm and base drift apart). Tolerance: were common
    random numbers no help, each ratio would be near the square root of an F(15, 15) variable: below 0.8
    about one time in five, below 0.6 about one time in thirty. The test demands engagement below 0.8 and
    usage and anxiety below 0.6, all at once."""
    plan = load_comparison(SHIPPED, ["firm.employees=400"], replicates=16)
    independent = [run_seed(plan.spec.seed + 1, r) for r in range(plan.spec.replicates)]
    base = run_paired_replicates([plan.base], plan.seeds)
    paired = run_paired_replicates([plan.arms["reassurance"]], plan.seeds)
    unpaired = run_paired_replicates([plan.arms["reassurance"]], independent)
    for metric in ("usage_rate", "engagement_rate", "mean_anxiety"):
        low, high = paired_interval(values(paired, metric) - values(base, metric))
        low_ind, high_ind = paired_interval(values(unpaired, metric) - values(base, metric))
        assert high - low < (0.8 if metric == "engagement_rate" else 0.6) * (high_ind - low_ind), metric


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    path = write_comparison_file(
        tmp_path,
        [{"name": "infrastructure", "interventions": [{"kind": "infrastructure", "start": 3, "intensity": 0.8}]}],
        replicates=3,
    )
    plan = load_comparison(path, ["firm.employees=240", "weeks=40"])
    one, two = (comparison_table(plan, run_comparison(plan, workers=n)) for n in (1, 2))
    pd.testing.assert_frame_equal(one, two)


def test_the_shipped_comparison_runs_from_the_command_line(cli, tmp_path):
    """The README's command, with fewer replicates: the table, figures, report and the same seeds per arm."""
    out = tmp_path / "interventions"
    result = cli("compare", SHIPPED, "--out", out, "--replicates", "3", "--quiet")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns[:8]) == list(TABLE_COLUMNS[:8])
    plan = load_comparison(SHIPPED)
    assert len(table) == len(plan.spec.arms) * len(DEFAULT_METRICS)
    assert set(table["arm"]) == set(plan.arms)
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert "differences.png" in figures
    assert {f"over_time_{m}.png" for m in DEFAULT_METRICS if METRICS[m].series} <= figures
    seeds = pd.read_csv(out / "replicates.csv").pivot(index="replicate", columns="arm", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    assert cli("report", out).exit_code == 0
    assert (out / "report.html").stat().st_size > 10_000


BAD_ARMS = {
    "unknown kind": (
        {"kind": "team-offsite", "start": 5},
        ["arm 'bad'", "interventions.0.kind", "'team-offsite'", "'training'", "'champions'"],
    ),
    "start after the horizon": (
        {"kind": "training", "start": 200},
        ["arm 'bad'", "interventions.0.start = 200", "after the horizon", "weeks (104)"],
    ),
    "negative cost": (
        {"kind": "mandate", "cost": -5000},
        ["arm 'bad'", "interventions.0.cost = -5000", "greater than or equal to 0"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_ARMS))
def test_a_bad_intervention_in_an_arm_is_refused(cli, tmp_path, case):
    intervention, expected = BAD_ARMS[case]
    path = write_comparison_file(
        tmp_path,
        [{"name": "fine", "interventions": [{"kind": "training"}]}, {"name": "bad", "interventions": [intervention]}],
    )
    assert_refused(cli("compare", path, "--out", tmp_path / "out"), path, expected)
    assert not (tmp_path / "out").exists()


def test_the_horizon_is_the_base_after_overrides(cli, tmp_path):
    path = write_comparison_file(tmp_path, [{"name": "late", "interventions": [{"kind": "training", "start": 60}]}])
    assert_refused(
        cli("compare", path, "--set", "weeks=52", "--out", tmp_path / "out"), path, ["arm 'late'", "weeks (52)"]
    )


BAD_FILES = {
    "unknown field": ({"replicats": 5}, ["unknown field 'replicats'", "Did you mean 'replicates'"]),
    "unknown metric": ({"metrics": ["happiness"]}, ["metrics.0 = 'happiness'", "'pilots_scaled'"]),
    "one replicate": ({"replicates": 1}, ["replicates = 1", "greater than or equal to 2"]),
    "missing base": ({"base": "nowhere.yaml"}, ["field base = 'nowhere.yaml'", "no such scenario file"]),
    "repeated arm": ({"arms": [{"name": "a", "interventions": [{"kind": "training"}]}] * 2}, ["repeated: a"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_comparison_file_is_refused(cli, tmp_path, case):
    fields, expected = BAD_FILES[case]
    arms = [{"name": "a", "interventions": [{"kind": "training"}]}]
    path = write_comparison_file(tmp_path, **{"arms": arms, **fields})
    assert_refused(cli("compare", path, "--out", tmp_path / "out"), path, expected)
