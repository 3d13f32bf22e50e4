"""The compiled kernels (sim/kernels.py) equal the NumPy rules they implement (sim/rules.py, sim/pilots.py,
sim.metrics.weekly_record), rule by rule on random states and over whole runs.

Each case builds one random state (seeded: several firms of random sizes, sampled by whole teams or not,
random team sizes and cross-team ties, every employee's and team's state and a pilot table drawn at random
over all stages and statuses), copies it, runs the NumPy rules on one copy and the kernels on the other with
generators seeded alike, and compares.

Tolerance. The kernels evaluate every expression in the rules' order of operations, so the two differ only
where NumPy computes differently from compiled scalar code: its own SIMD exp, expm1 and log10 are accurate
to within an ulp but are not the C library's (here they differ from it in the last bit for about 5 to 20% of
arguments), and its sums over a team or firm are pairwise where a kernel adds in order (an error of a
few ulps of the sum). After one week every state, in [0, 1] or a sum of such values, therefore agrees to a
few ulps (observed: 1.1e-16 after a week on random states; after 104 weeks of the shipped scenarios 7e-16 in
any state and 5e-15 in any record, where revenue runs to tens). FLOAT_TOLERANCE, 1e-12, allows a
thousandfold growth of that through the rules' feedbacks while still failing at once for any change to a
rule: a parameter moved by a millionth, or one term in the wrong place, moves states by far more.
Discrete outcomes (adoption, stages, statuses, weeks, counts, the pilots' rows) must agree exactly: a last-bit
difference in a probability flips a decision only if the uniform falls within 1e-16 of it, about once in
1e16 draws. The random draws themselves must be identical: each generator must end in the same state.
"""

from __future__ import annotations

import copy
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from sim import pilots as funnel
from sim import rules
from sim.kernels import Compiled
from sim.metrics import weekly_record
from sim.model import AdoptionModel
from sim.pilots import ABANDONED, ACTIVE, MERGED, NO_DUPLICATE, SCALED, STALLED, PilotTable
from sim.scenario import load_scenario
from sim.schema import Scenario

FLOAT_TOLERANCE = 1e-12
IMPORTED = Path(__file__).resolve().parent.parent / "examples" / "insurer" / "insurer.yaml"
"""A firm imported from its own files (adoptsim org import): its teams, survey means and pilots."""
SEEDS = range(12)


def random_scenario(seed: int) -> Scenario:
    """A population of one to four firms of random sizes (sampled by whole teams in some), random team sizes,
    cross-team ties and levers."""
    rng = np.random.default_rng(seed)
    team_size = int(rng.integers(3, 16))
    agents = int(rng.integers(60, 400))
    return load_scenario(
        "population",
        [
            f"population.firms={int(rng.integers(1, 5))}",
            f"population.agents_per_firm={agents}",
            f"firm.team_size={team_size}",
            f"params.adoption.cross_team_ties={int(rng.choice([0, 1, 3, 5]))}",
            "population.bands.under-100m.employees=[20,300]",
            "population.bands.100m-1b.employees=[300,2000]",
            "population.bands.1b-5b.employees=[2000,9000]",
            "population.bands.over-5b.employees=[9000,60000]",
        ],
    )


def random_state(model: AdoptionModel, seed: int) -> None:
    """Every employee's and team's weekly state, the firms' conditions and signals and a pilot table at random."""
    rng = np.random.default_rng(10_000 + seed)
    w, org = model.workforce, model.organisation
    n, n_teams, n_firms = w.size, org.n_teams, org.n_firms
    for name in ("attitude", "anxiety", "skill", "usage", "engagement", "prior", "threshold"):
        setattr(w, name, rng.random(n))
    w.engagement[rng.random(n) < 0.3] = 0.0
    w.adopted = rng.random(n) < rng.random()
    org.team_safety = rng.random(n_teams)
    org.team_base_safety = rng.random(n_teams)
    org.team_threat = rng.random(n_teams)
    org.team_mandate = rng.random(n_teams) * (rng.random(n_teams) < 0.5)
    org.team_champions = rng.random(n_teams) * (rng.random(n_teams) < 0.5)
    org.firm_visibility = rng.random(n_firms) * 0.3
    org.firm_automation = rng.random(n_firms) * 3
    org.firm_knowledge = rng.random(n_firms) * 10
    org.firm_infrastructure = rng.random(n_firms)
    org.firm_direction = rng.random(n_firms)
    org.firm_governance = rng.random(n_firms)
    org.firm_back_office_push = rng.random(n_firms) * 0.3
    org.firm_revenue = rng.random(n_firms)
    org.firm_savings = rng.random(n_firms)
    model.pilots = random_table(model, rng, week=60)


def random_table(model: AdoptionModel, rng: np.random.Generator, week: int) -> PilotTable:
    """Pilots of the model's teams in every stage and status, many sharing use cases, on several platforms."""
    org = model.organisation
    n = int(rng.integers(0, 40 * org.n_firms))
    team = rng.integers(0, org.n_teams, n)
    firm = org.team_firm[team]
    stage = rng.integers(0, 5, n)
    status = rng.choice([ACTIVE, ACTIVE, STALLED, ABANDONED, MERGED], n)
    week_stalled = np.where(status == STALLED, rng.integers(0, week, n), -1)
    table = PilotTable()
    table.append(
        firm=firm,
        team=team,
        kind=rng.integers(0, 2, n),
        use_case=np.floor(rng.random(n) * org.firm_use_cases[firm]).astype(np.int64),
        value=rng.lognormal(0, 1, n),
        depth=rng.random(n),
        platform=np.where(rng.random(n) < 0.5, org.team_platform[team], rng.integers(0, 4, n)),
        aligned=rng.random(n) < 0.5,
        bought=rng.random(n) < 0.5,
        duplicate_of=np.full(n, NO_DUPLICATE),
        stage=stage,
        status=status,
        week_proposed=rng.integers(0, week, n),
        week_in_stage=rng.integers(0, week, n),
        week_poc=np.where(stage >= 1, rng.integers(0, week, n), -1),
        week_stalled=week_stalled,
        week_ended=np.where((status >= ABANDONED) | (stage == SCALED), rng.integers(0, week, n), -1),
    )
    return table


def twin_models(seed: int, scenario: Scenario | None = None) -> tuple[AdoptionModel, AdoptionModel]:
    """Two models of one random state: one on the NumPy rules, one on the kernels."""
    scenario = scenario or random_scenario(seed)
    spec = AdoptionModel(scenario, rng=seed, compiled=False)
    kernel = AdoptionModel(scenario, rng=seed, compiled=True)
    for model in (spec, kernel):
        random_state(model, seed)
        model.steps = 60
    return spec, kernel


def assert_same(name: str, expected, actual) -> None:
    """Discrete values exactly, floats within FLOAT_TOLERANCE; same shape and type."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert expected.shape == actual.shape, f"{name}: shape {expected.shape} against {actual.shape}"
    assert expected.dtype == actual.dtype, f"{name}: type {expected.dtype} against {actual.dtype}"
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=0, atol=FLOAT_TOLERANCE, err_msg=name)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def assert_same_state(spec: AdoptionModel, kernel: AdoptionModel) -> None:
    """Every array of the workforce, the organisation and the pilot table, and the merges."""
    for part in ("workforce", "organisation", "pilots"):
        for column in fields(getattr(spec, part)):
            assert_same(
                f"{part}.{column.name}",
                getattr(getattr(spec, part), column.name),
                getattr(getattr(kernel, part), column.name),
            )
    assert_same("duplicates_merged", spec.duplicates_merged, kernel.duplicates_merged)


def assert_same_draws(spec: AdoptionModel, kernel: AdoptionModel) -> None:
    """Every stream has drawn the same numbers: each ends in the same state."""
    for stream in fields(spec.streams):
        a, b = getattr(spec.streams, stream.name), getattr(kernel.streams, stream.name)
        assert a.bit_generator.state == b.bit_generator.state, f"stream {stream.name} drew differently"


@pytest.mark.parametrize("seed", SEEDS)
def test_employee_kernel_equals_the_employee_rules(seed: int) -> None:
    spec, kernel = twin_models(seed)
    w, org, p = spec.workforce, spec.organisation, spec.params
    peers = rules.observe_peers(w, org, p)
    rules.update_anxiety(w, org, peers, p)
    rules.update_attitude(w, org, p)
    intent = rules.intention(w, org, p)
    rules.adopt(w, peers, intent, p, spec.streams.adoption)
    committed = rules.committed_use(w, intent, p)
    rules.update_usage(w, committed, rules.compliance_use(w, org, peers, p), p)
    rules.update_engagement(w, org, committed, p)
    rules.update_skill(w, p)
    rules.update_team_safety(w, org, p)
    kernel.compiled.employees(kernel.workforce, kernel.organisation, kernel.streams.adoption)
    assert_same_state(spec, kernel)
    assert_same_draws(spec, kernel)
    enthusiasm = rules.team_mean(w.attitude * (0.5 + w.engagement), org)
    assert_same("enthusiasm", enthusiasm, kernel.compiled.enthusiasm)


@pytest.mark.parametrize("seed", SEEDS)
def test_proposal_kernel_equals_propose(seed: int) -> None:
    spec, kernel = twin_models(seed)
    w, org, p = spec.workforce, spec.organisation, spec.params
    for model in (spec, kernel):  # many proposals, so that duplicates within the week and merges occur
        model.organisation.firm_governance[:] = np.linspace(0.2, 1, org.n_firms)
    spec_params = p.model_copy(update={"pilots": p.pilots.model_copy(update={"intake": 0.6})})
    kernel.compiled = Compiled(kernel.organisation, spec_params)
    kernel.compiled.enthusiasm[:] = rules.team_mean(w.attitude * (0.5 + w.engagement), org)
    merged = funnel.propose(spec.pilots, w, org, spec_params, 60, spec.streams.proposals)
    kernel_merged = kernel.compiled.propose(kernel.pilots, kernel.organisation, 60, kernel.streams.proposals)
    assert_same("merged", merged, kernel_merged)
    assert_same_state(spec, kernel)
    assert_same_draws(spec, kernel)


@pytest.mark.parametrize("seed", SEEDS)
def test_funnel_kernels_equal_advance_signals_and_value(seed: int) -> None:
    spec, kernel = twin_models(seed)
    w, org, p = spec.workforce, spec.organisation, spec.params
    events = funnel.advance(spec.pilots, w, org, p, 60, spec.streams.funnel)
    funnel.update_signals(events, org, p)
    funnel.accrue_value(spec.pilots, org, p)
    kernel.compiled.advance(kernel.pilots, kernel.workforce, kernel.organisation, 60, kernel.streams.funnel)
    assert_same_state(spec, kernel)
    assert_same_draws(spec, kernel)


@pytest.mark.parametrize("seed", SEEDS)
def test_record_kernel_equals_weekly_record(seed: int) -> None:
    spec, kernel = twin_models(seed)
    spent = np.random.default_rng(seed).random(spec.organisation.n_firms)
    merged = np.arange(spec.organisation.n_firms, dtype=np.float64)
    expected = weekly_record(60, spec.workforce, spec.organisation, spec.pilots, merged, spent, spec.params)
    actual = kernel.compiled.record(60, kernel.workforce, kernel.organisation, kernel.pilots, merged, spent)
    assert list(actual) == list(expected), "the same figures in the same order"
    for name in expected:
        assert_same(name, expected[name], actual[name])


@pytest.mark.parametrize("seed", SEEDS)
def test_a_whole_week_on_random_states(seed: int) -> None:
    spec, kernel = twin_models(seed)
    for _ in range(3):
        spec.step()
        kernel.step()
    assert_same_state(spec, kernel)
    assert_same_draws(spec, kernel)
    for name in spec.records[-1]:
        assert_same(name, spec.records[-1][name], kernel.records[-1][name])


ALL_INTERVENTIONS = [
    "interventions=["
    "{kind: training, start: 3, duration: 20, intensity: 0.7},"
    "{kind: reassurance, start: 5, intensity: 0.8, target: {functions: [back-office]}},"
    "{kind: safety-programme, start: 4, duration: 10, intensity: 0.8},"
    "{kind: mandate, start: 10, end: 40, intensity: 0.6},"
    "{kind: sponsorship, start: 6, intensity: 0.8},"
    "{kind: infrastructure, start: 5, intensity: 0.8},"
    "{kind: consolidation, start: 20, intensity: 0.5},"
    "{kind: centre-of-excellence, start: 15, intensity: 0.8},"
    "{kind: champions, start: 8, intensity: 0.9, trigger: {metric: usage_rate, above: 0.2}}]"
]


@pytest.mark.parametrize(
    ("name", "overrides", "seed"),
    [
        ("baseline", [], 0),
        ("baseline", [], 7),
        ("fragmented", [], 1),
        ("vanguard", [], 2),
        ("anxious-mandate", [], 3),
        ("large-enterprise", ["weeks=52"], 4),
        ("baseline", ALL_INTERVENTIONS, 5),
        ("population", ["population.firms=6", "weeks=52"], 6),
        ("population", ["population.firms=4", "population.agents_per_firm=150", "weeks=52", *ALL_INTERVENTIONS], 8),
        (str(IMPORTED), ["weeks=26", *ALL_INTERVENTIONS], 9),  # its own teams, survey means and pilots
    ],
)
def test_whole_runs_agree(name: str, overrides: list[str], seed: int) -> None:
    """Over whole runs the two engines take the same decisions and keep the same records: every discrete
    figure exactly, every float within the tolerance; the same number of draws from every stream."""
    scenario = load_scenario(name, overrides)
    spec = AdoptionModel(scenario, rng=seed, compiled=False)
    kernel = AdoptionModel(scenario, rng=seed, compiled=True)
    for _ in range(scenario.weeks):
        spec.step()
        kernel.step()
    assert_same_state(spec, kernel)
    assert_same_draws(spec, kernel)
    for name in spec.records[0]:
        assert_same(
            f"record {name}",
            np.concatenate([r[name] for r in spec.records]),
            np.concatenate([r[name] for r in kernel.records]),
        )
    assert spec.summary().keys() == kernel.summary().keys()


def test_runs_repeat_to_the_bit() -> None:
    """The kernels are deterministic: the same scenario and seed give the same bits."""
    scenario = load_scenario("population", ["population.firms=3", "weeks=30"])
    runs = []
    for _ in range(2):
        model = AdoptionModel(scenario, rng=11)
        for _ in range(scenario.weeks):
            model.step()
        runs.append(copy.deepcopy(model.records))
    for first, second in zip(*runs, strict=True):
        for name in first:
            np.testing.assert_array_equal(first[name], second[name])
