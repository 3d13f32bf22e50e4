"""Invariants over generated valid scenarios: states stay in range, pilots are conserved and only move
forward, nothing is NaN."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.interventions import EFFECTS
from sim.model import AdoptionModel
from sim.pilots import ABANDONED, STAGES
from sim.run import collect
from sim.schema import INDUSTRY_THREAT, Scenario

unit = st.floats(0, 1, allow_nan=False)


@st.composite
def interventions(draw, weeks: int) -> dict:
    """One valid intervention of any kind, possibly triggered, possibly limited to a function."""
    timing = draw(st.sampled_from(["open", "end", "duration"]))
    start = draw(st.integers(1, weeks))
    return {
        "kind": draw(st.sampled_from(sorted(EFFECTS))),
        "start": start,
        **({"end": draw(st.integers(start, weeks))} if timing == "end" else {}),
        **({"duration": draw(st.integers(1, 30))} if timing == "duration" else {}),
        "intensity": draw(unit),
        "cost": draw(st.floats(0, 1e6)),
        "target": {"functions": draw(st.none() | st.sampled_from([["front-office"], ["back-office"]]))},
        "trigger": draw(st.none() | st.builds(lambda v: {"metric": "usage_rate", "above": v}, unit)),
    }


@st.composite
def scenarios(draw) -> Scenario:
    """Small valid scenarios spanning the levers, sizes, industries, key parameters and interventions."""
    employees = draw(st.integers(10, 400))
    team_size = draw(st.integers(3, min(60, employees)))
    weeks = draw(st.integers(1, 40))
    return Scenario.model_validate(
        {
            "weeks": weeks,
            "interventions": draw(st.lists(interventions(weeks), max_size=3)),
            "firm": {
                "employees": employees,
                "team_size": team_size,
                "agents": draw(st.none() | st.integers(team_size, employees)),
                "front_office_share": draw(unit),
                "industry": draw(st.sampled_from(sorted(INDUSTRY_THREAT))),
                "threat": draw(st.none() | unit),
                "platforms": draw(st.integers(1, 8)),
                "mandate": draw(unit),
                "levers": {"infrastructure": draw(unit), "alignment": draw(unit), "culture": draw(unit)},
            },
            "params": {
                "adoption": {
                    "p": draw(st.floats(0, 0.2)),
                    "q": draw(st.floats(0, 2)),
                    "cross_team_ties": draw(st.integers(0, 6)),
                },
                "engagement": {"growth": draw(unit), "decay": draw(unit)},
                "anxiety": {"peer_weight": draw(st.floats(0, 0.9)), "rate": draw(unit)},
                "usage": {"fear_of_missing_out": draw(st.floats(0, 2))},
                "pilots": {
                    "intake": draw(st.floats(0, 1)),
                    "use_cases": draw(st.integers(1, 30)),
                    "abandon_after": draw(st.integers(1, 30)),
                },
            },
        }
    )


def assert_states_in_range(model: AdoptionModel) -> None:
    w, org = model.workforce, model.organisation
    for name in ("attitude", "anxiety", "skill", "usage", "engagement"):
        values = getattr(w, name)
        assert np.isfinite(values).all(), name
        assert values.min() >= 0 and values.max() <= 1, (name, values.min(), values.max())
    assert ((org.team_safety >= 0) & (org.team_safety <= 1)).all()
    assert np.isfinite(org.firm_knowledge).all() and (org.firm_knowledge >= 0).all()
    assert ((org.firm_infrastructure >= 0) & (org.firm_infrastructure <= 1)).all()
    assert ((org.team_threat >= 0) & (org.team_threat <= 1)).all() and (org.team_mandate <= 1).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_states_stay_in_range_and_pilots_are_conserved(scenario: Scenario, seed: int) -> None:
    model = AdoptionModel(scenario, rng=seed)
    previous_stage = np.zeros(0, dtype=int)
    for _ in range(scenario.weeks):
        model.step()
        assert_states_in_range(model)
        stage = model.pilots.stage
        assert (stage[: len(previous_stage)] >= previous_stage).all(), "a pilot moved back a stage"
        previous_stage = stage.copy()
    result = collect(model, seed)
    series = result.timeseries
    assert not series.isna().any().any()
    in_stages = series[list(STAGES)].sum(axis=1) + series["abandoned"] + series["merged"]
    proposed = [int((model.pilots.week_proposed <= week).sum()) for week in series["week"]]
    assert list(in_stages) == proposed, "pilots appeared or vanished between stages"
    assert result.summary["pilots_proposed"] == len(result.pilots)
    assert (result.pilots["outcome"] == "abandoned").sum() == int((model.pilots.status == ABANDONED).sum())
    assert 0 <= result.summary["poc_to_production"] <= 1 and 0 <= result.summary["poc_scrapped"] <= 1
    assert result.summary["intervention_cost"] <= sum(i.cost for i in scenario.interventions) + 1e-6
