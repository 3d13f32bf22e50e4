"""`adoptsim optimise`: plans within a budget (feasible, priced as the cost model says), a front no trial
dominates, resuming a search (more trials, or after a kill), the front written as a comparison that
`compare` reruns with the same numbers, worker independence, and bad plan files refused with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from sim.experiments import optimise as opt
from sim.experiments.compare import load_comparison, run_comparison, values
from sim.experiments.studies import completed

ROOT = Path(__file__).resolve().parent.parent


def tiny_plan(folder: Path, **fields) -> Path:
    """A plan over three candidates for a 48-person firm over 20 weeks: each run takes milliseconds."""
    (folder / "tiny.yaml").write_text(
        yaml.safe_dump({"name": "tiny", "weeks": 20, "firm": {"employees": 48, "team_size": 8}}), encoding="utf-8"
    )
    document = {
        "name": "tiny-plan",
        "base": "tiny.yaml",
        "budget": 100_000,
        "trials": 16,
        "population": 8,
        "replicates": 2,
        "rescore_replicates": 4,
        "seed": 4,
        "candidates": [
            {"kind": "training", "cost": {"per_week": 5000}, "start": [1, 10], "duration": [4, 16]},
            {"kind": "mandate", "cost": {"fixed": 20000}, "start": [1, 10]},
            {"kind": "infrastructure", "name": "platform", "cost": {"per_week": 8000}, "start": [1, 15]},
        ],
        **fields,
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_cost_model_and_plans_in_words(tmp_path):
    problem = opt.load_plan(tiny_plan(tmp_path))
    steps = [opt.Step(2, 5, None, 0.5), opt.Step(0, 8, 30, 0.8)]
    # platform: 8k a week at intensity 1, weeks 5 to 20 (16 weeks) at 0.5 = 64k; training: 5k a week, its
    # 30 weeks cut to the 13 left in the horizon, at 0.8 = 52k
    assert opt.plan_cost(problem, steps) == pytest.approx(64_000 + 52_000)
    made = opt.interventions(problem, steps)
    assert made[1].duration == 13 and made[1].cost == pytest.approx(52_000)
    assert opt.in_words(problem, steps).startswith(
        "start platform in week 5 at intensity 0.5, to the end of the horizon"
    )
    assert "then the mandate" not in opt.in_words(problem, steps)
    assert "then training in week 8 at intensity 0.8" in opt.in_words(problem, steps)
    assert opt.in_words(problem, []).startswith("do nothing")


def test_pareto_front_keeps_exactly_the_non_dominated_points():
    rng = np.random.default_rng(0)
    points = [tuple(p) for p in rng.integers(0, 6, size=(60, 3)).astype(float)]
    front = opt.pareto_front(points)
    for i, p in enumerate(points):
        dominated = any(opt.dominates(q, p) for q in points)
        assert (i in front) == (not dominated and points.index(p) == i)
    assert opt.dominates((3.0, 1.0, 0.5), (3.0, 2.0, 0.5)) and not opt.dominates((3.0, 1.0, 0.5), (3.0, 1.0, 0.5))


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A search of 8 trials, then continued to 16 in the same folder."""
    folder = tmp_path_factory.mktemp("search")
    problem = opt.load_plan(tiny_plan(folder))
    first = opt.run_optimisation(problem, folder / "out", trials=8)
    first_trials = [(t.number, t.params, t.values) for t in completed(first.study)]
    second = opt.run_optimisation(problem, folder / "out", trials=16)
    return problem, folder / "out", first_trials, second


def test_a_larger_trial_count_continues_the_study(searched):
    _, _, first_trials, second = searched
    trials = completed(second.study)
    assert len(first_trials) == 8 and len(trials) == 16
    assert [(t.number, t.params, t.values) for t in trials[:8]] == first_trials  # kept, not run again


def test_the_front_is_feasible_and_no_trial_dominates_it(searched):
    problem, _, _, result = searched
    trials = completed(result.study)
    feasible = [t for t in trials if t.user_attrs["cost"] <= problem.budget]
    assert result.front
    for option in result.front:
        assert option.cost <= problem.budget
        assert not any(
            opt.dominates(tuple(t.values), (option.search[0], option.cost, option.search[1])) for t in feasible
        )
        # the cost the model spent on fresh replicates is the plan's cost
        assert option.fresh.mean("intervention_cost") == pytest.approx(option.cost, rel=1e-6)
    for t in trials:
        assert t.values[1] == pytest.approx(opt.plan_cost(problem, opt.stored_steps(t)))
        assert t.system_attrs["constraints:over_budget"] == pytest.approx(t.values[1] - problem.budget)


def test_a_killed_search_resumes(searched, tmp_path):
    # A kill leaves the batch it was scoring as running trials in the journal: the next run fails them and
    # completes the budget. (A journal line cut short by the kill is cut off: repair_journal.)
    problem, out, _, _ = searched
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / opt.JOURNAL).write_bytes((out / opt.JOURNAL).read_bytes())
    study = opt.open_search(problem, copy)
    study.ask()
    study.ask()
    with open(copy / opt.JOURNAL, "ab") as journal:
        journal.write(b'{"op_code": 5, "worker_id": "cut off by a ki')
    resumed = opt.run_optimisation(problem, copy, trials=18)
    assert resumed.interrupted == 2
    assert len(completed(resumed.study)) == 18
    states = [t.state for t in resumed.study.get_trials(deepcopy=False)]
    assert states.count(optuna.trial.TrialState.FAIL) == 2


def test_the_written_comparison_reruns_the_fresh_scores(searched):
    problem, out, _, result = searched
    plan = load_comparison(out / "plans.yaml")
    results = run_comparison(plan)
    rows = pd.read_csv(out / "front.csv").set_index("option")
    for arm, outcomes in results.arms.items():
        assert values(outcomes, "pilots_scaled").mean() == pytest.approx(rows.fresh_pilots_scaled[arm])
    assert set(results.arms) == {o.name for o in [*result.front, *result.singles] if o.steps}
    record = json.loads((out / "optimise.json").read_text())
    assert record["closing_note"] and record["trials"] == 16


def test_results_do_not_depend_on_the_worker_count(searched, tmp_path):
    # the same sittings (8 trials, then 16), on two worker processes
    problem, out, _, _ = searched
    opt.run_optimisation(problem, tmp_path / "two", trials=8, workers=2)
    again = opt.run_optimisation(problem, tmp_path / "two", trials=16, workers=2)
    assert (tmp_path / "two" / "front.csv").read_bytes() == (out / "front.csv").read_bytes()
    assert (tmp_path / "two" / "trials.csv").read_bytes() == (out / "trials.csv").read_bytes()
    assert again.best() is not None


def test_report_of_an_optimisation(cli, searched):
    _, out, _, _ = searched
    assert cli("report", out).exit_code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "The plans on the front, in words" in page and "data:image/png;base64" in page


def test_an_uncertain_plan_scores_every_plan_in_the_same_worlds(tmp_path):
    path = tiny_plan(tmp_path, uncertain={"params.effects.training": {"low": 0.0, "high": 0.05}})
    problem = opt.load_plan(path)
    worlds = problem.worlds()
    assert [w.params.effects.training for w in worlds] == [w.params.effects.training for w in problem.worlds()]
    assert len({w.params.effects.training for w in worlds}) == 2
    assert {w.params.effects.training for w in problem.worlds(fresh=True)}.isdisjoint(
        {w.params.effects.training for w in worlds}
    )


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"candidates": [{"kind": "training", "cost": {"per_wek": 1}}]}, ["candidates.0.cost.per_wek", "per_week"]),
        ({"candidates": [{"kind": "trainig", "cost": {}}]}, ["candidates.0.kind", "'trainig'"]),
        ({"candidates": [{"kind": "training", "cost": {}, "start": [5, 40]}]}, ["candidates.0.start", "horizon"]),
        (
            {"candidates": [{"kind": "training", "cost": {}, "intensity": [0.9, 0.2]}]},
            ["candidates.0.intensity", "low <= high"],
        ),
        ({"budget": None}, ["budget", "--budget"]),
        ({"replicates": 0}, ["replicates = 0", "from 1 to 1,000"]),
        (
            {"candidates": [{"kind": "mandate", "cost": {}, "start": [1, 10], "reference": {"duration": 4}}]},
            ["reference.duration", "horizon"],
        ),
    ],
)
def test_bad_plan_files_exit_2(cli, tmp_path, change, fragments):
    path = tiny_plan(tmp_path)
    document = yaml.safe_load(path.read_text()) | change
    document = {k: v for k, v in document.items() if v is not None}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = cli("optimise", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.stdout
    for fragment in [str(path), *fragments]:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_shipped_insurer_plan_loads():
    problem = opt.load_plan(ROOT / "scenarios" / "plans" / "insurer.yaml", budget=5_000_000)
    assert problem.base.firm.employees == 4000 and problem.budget == 5_000_000
    singles = [opt.plan_cost(problem, opt.reference_steps(problem, i)) for i in range(len(problem.spec.candidates))]
    assert max(singles) <= problem.budget  # every candidate alone at its reference settings is affordable


def test_a_folder_of_the_users_is_never_written_into(cli, tmp_path):
    path = tiny_plan(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = cli("optimise", path, "--out", mine)
    assert result.exit_code == 2 and str(mine) in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
