"""Experiment files: designs laid out as runs with seeds that depend only on the experiment seed and the run
index, the shipped experiments, and bad files refused with exit code 2 and a message naming the file, the
field, the value and what is allowed."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.experiments.design import design_size, load_experiment

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
EXPERIMENTS = ROOT / "scenarios" / "experiments"
LEVERS = ("firm.levers.infrastructure", "firm.levers.alignment", "firm.levers.culture")


def write_experiment(folder: Path, **fields) -> Path:
    """A small experiment file on the shipped baseline (by absolute path), with `fields` replacing defaults."""
    data = {
        "base": str(BASELINE),
        "set": {"firm.employees": 60, "weeks": 8},
        "factors": {"firm.levers.culture": {"range": [0.2, 0.8]}},
        "design": "grid",
        "outcomes": ["pilots_started"],
        **fields,
    }
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_foundations_experiment_crosses_every_level_of_the_three_levers():
    plan = load_experiment(EXPERIMENTS / "foundations.yaml")
    assert plan.factors == list(LEVERS)
    assert plan.base.firm.employees == 1000 and plan.base.weeks == 104
    combinations = [tuple(spec.values[f] for f in LEVERS) for spec in plan.runs if spec.replicate == 0]
    levels = (0.1, 0.3, 0.5, 0.7, 0.9)
    assert sorted(combinations) == sorted(itertools.product(levels, repeat=3))
    assert len(plan.runs) == 125 * 8


def test_the_sobol_experiment_samples_within_each_range():
    plan = load_experiment(EXPERIMENTS / "sobol.yaml")
    assert len(plan.runs) == plan.points == 128 * (len(plan.factors) + 2)
    for name, factor in plan.spec.factors.items():
        values = np.array([spec.values[name] for spec in plan.runs])
        assert factor.range[0] <= values.min() < values.max() <= factor.range[1]


def test_run_seeds_come_from_the_experiment_seed_and_the_run_index(tmp_path):
    plan = load_experiment(write_experiment(tmp_path, replicates=3, seed=11))
    assert [spec.index for spec in plan.runs] == list(range(15))
    assert [(spec.point, spec.replicate) for spec in plan.runs] == [(p, r) for p in range(5) for r in range(3)]
    expected = [int(np.random.SeedSequence(11, spawn_key=(i,)).generate_state(1)[0]) for i in range(15)]
    assert [spec.seed for spec in plan.runs] == expected
    assert len(set(expected)) == 15


def test_a_grid_takes_evenly_spaced_levels_of_a_range_and_every_listed_value(tmp_path):
    factors = {"firm.levers.culture": {"range": [0.2, 0.8]}, "firm.industry": {"values": ["technology", "media"]}}
    plan = load_experiment(write_experiment(tmp_path, factors=factors, design={"kind": "grid", "levels": 4}))
    points = [(spec.values["firm.levers.culture"], spec.values["firm.industry"]) for spec in plan.runs]
    assert points == list(itertools.product([0.2, 0.4, 0.6, 0.8], ["technology", "media"]))


def test_sampling_designs_pick_listed_values_evenly_and_round_whole_number_fields(tmp_path):
    factors = {"firm.industry": {"values": ["technology", "media"]}, "params.pilots.abandon_after": {"range": [5, 20]}}
    plan = load_experiment(write_experiment(tmp_path, factors=factors, design={"kind": "lhs", "samples": 40}))
    industries = [spec.values["firm.industry"] for spec in plan.runs]
    assert industries.count("technology") == industries.count("media") == 20
    weeks = [spec.values["params.pilots.abandon_after"] for spec in plan.runs]
    assert all(isinstance(w, int) and 5 <= w <= 20 for w in weeks)


@pytest.mark.parametrize(
    ("design", "points"),
    [
        ({"kind": "sobol", "samples": 8}, 8 * (3 + 2)),
        ({"kind": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 3 + 2)),
        ({"kind": "morris", "trajectories": 5}, 5 * (3 + 1)),
        ({"kind": "lhs", "samples": 7}, 7),
        ({"kind": "grid", "levels": 3}, 27),
    ],
)
def test_each_design_draws_as_many_points_as_it_announces(tmp_path, design, points):
    factors = {name: {"range": [0.1, 0.9]} for name in LEVERS}
    plan = load_experiment(write_experiment(tmp_path, factors=factors, design=design, replicates=2))
    assert plan.points == design_size(plan.spec) == points
    assert len(plan.runs) == 2 * points


def test_the_files_set_fields_apply_and_set_options_override_them(tmp_path):
    path = write_experiment(tmp_path, set={"firm.employees": 60, "firm.mandate": 0.3})
    assert load_experiment(path).base.firm.mandate == 0.3
    assert load_experiment(path, ["firm.mandate=0.6"]).base.firm.mandate == 0.6


BAD_FILES = [
    ({"replicate": 3}, ["unknown field 'replicate'", "Did you mean 'replicates'"]),
    (
        {"factors": {"firm.levers.cultur": {"range": [0, 1]}}},
        ["factors.firm.levers.cultur", "Did you mean 'firm.levers.culture'"],
    ),
    (
        {"factors": {"firm.levers.culture": {"range": [0.5, 1.5]}}},
        ["factor firm.levers.culture", "firm.levers.culture = 1.5", "less than or equal to 1"],
    ),
    ({"factors": {"firm.levers.culture": {"range": [0.2, 0.8], "values": [0.1]}}}, ["either range", "not both"]),
    ({"factors": {"firm.levers.culture": {"range": [0.8, 0.2]}}}, ["low to high"]),
    ({"factors": {"firm.levers.culture": {"steps": 3}}}, ["unknown field 'factors.firm.levers.culture.steps'"]),
    ({"design": {"kind": "sobol", "samples": 100}}, ["design.sobol.samples = 100", "power of 2", "such as 128"]),
    ({"design": "factorial"}, ["field design", "'factorial'", "'grid', 'lhs', 'sobol', 'morris'"]),
    ({"outcomes": ["pilots_scaledd"]}, ["outcomes.0 = 'pilots_scaledd'", "not a summary figure", "pilots_scaled"]),
    ({"base": "missing.yaml"}, ["field base = 'missing.yaml'", "no such scenario file"]),
    ({"set": {"firm.employes": 100}}, ["field set", "Did you mean 'firm.employees'"]),
    ({"timeseries": {"every": 4, "columns": ["usage"]}}, ["timeseries.columns.0 = 'usage'", "usage_rate"]),
    ({"heatmap": ["firm.levers.culture", "firm.mandate"]}, ["heatmap.1 = 'firm.mandate' is not a factor"]),
    ({"replicates": 0}, ["field replicates = 0", "greater than or equal to 1", "Runs of each point"]),
]


@pytest.mark.parametrize(("fields", "fragments"), BAD_FILES, ids=[str(list(f)[0]) for f, _ in BAD_FILES])
def test_bad_experiment_files_are_refused_with_a_plain_message(cli, tmp_path, fields, fragments):
    path = write_experiment(tmp_path, **fields)
    out = tmp_path / "sweep"
    result = cli("sweep", path, "--out", out, "--workers", "1")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in [str(path), *fragments]:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not out.exists()


def test_a_missing_experiment_file_is_refused(cli, tmp_path):
    result = cli("sweep", tmp_path / "nope.yaml", "--out", tmp_path / "sweep")
    assert result.exit_code == 2
    assert "nope.yaml: no such experiment file" in result.stderr


def test_workers_and_a_scheduler_together_are_refused(cli, tmp_path):
    result = cli("sweep", write_experiment(tmp_path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert "give one of them" in result.stderr
