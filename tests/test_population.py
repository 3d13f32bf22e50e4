"""Populations of firms, the survey mapping, and the well-mixed (Bass) limit of peer influence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.experiments.targets import TARGETS
from sim.model import AdoptionModel
from sim.population import draw_firms
from sim.run import run
from sim.scenario import load_scenario
from sim.survey import SURVEY_STAGES, survey_frame, survey_rates

BASS = "scenarios/validation/bass.yaml"


def bass_curve(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass's closed form for cumulative adoption, F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    decay = np.exp(-(p + q) * t)
    return (1 - decay) / (1 + (q / p) * decay)


@pytest.mark.parametrize(("p", "q"), [(0.01, 0.1), (0.03, 0.05)])
def test_well_mixed_limit_follows_bass(p: float, q: float) -> None:
    # Bass's F(t) is the mean-field expectation, so it is compared with the mean of 4 runs of 2,000 agents.
    # Binomial noise is then about sqrt(F(1-F)/8000) <= 0.006, the spread of the take-off time between runs
    # is averaged, and the weekly discretisation of the hazard adds well under 0.01 at these (p, q): an RMSE
    # under 0.02 is sharp (a wrong imitation term, e.g. counting oneself or using engagement, fails it) yet
    # stable (measured 0.003 to 0.009 on other seeds).
    scenario = load_scenario(BASS, [f"params.adoption.p={p}", f"params.adoption.q={q}"])
    simulated = np.mean([run(scenario, seed).timeseries["adopted_share"].to_numpy() for seed in range(4)], axis=0)
    rmse = np.sqrt(np.mean((simulated - bass_curve(p, q, np.arange(len(simulated)))) ** 2))
    assert rmse < 0.02, rmse


def test_population_draws_firms_across_bands_and_industries() -> None:
    scenario = load_scenario("baseline", ["population.firms=400"])
    firms = draw_firms(scenario, np.random.default_rng(3))
    assert len(firms) == 400
    bands = [f.revenue_band for f in firms]
    for band, spec in scenario.population.bands.items():
        # 400 draws: the standard error of a share near 0.3 is about 0.023; allow three of them.
        assert abs(bands.count(band) / 400 - spec.share) < 0.07, band
        low, high = spec.employees
        assert all(low <= f.employees <= high for f in firms if f.revenue_band == band)
    assert len({f.industry for f in firms}) >= 6
    infrastructure = {
        band: np.mean([f.levers.infrastructure for f in firms if f.revenue_band == band]) for band in bands
    }
    assert infrastructure["over-5b"] > infrastructure["under-100m"], "larger firms should integrate more"


def test_survey_answers_cover_every_firm_and_add_up() -> None:
    scenario = load_scenario("baseline", ["population.firms=30"])
    model = AdoptionModel(scenario, rng=2)
    for _ in range(scenario.weeks):
        model.step()
    frame = survey_frame(model)
    assert len(frame) == 30 and set(frame["stage"]) <= set(SURVEY_STAGES)
    rates = survey_rates(frame)
    assert sum(rates[f"stage_{s.replace(' ', '_')}"] for s in SURVEY_STAGES) == pytest.approx(1)
    assert 0 <= rates["poc_to_production"] + rates["poc_scrapped"] <= 1
    summary = run(scenario, seed=2).summary
    assert len(summary["firms"]) == 30 and summary["employees"] == frame["employees"].sum()


def test_a_population_run_writes_each_firms_survey_answers(cli, tmp_path) -> None:
    out = tmp_path / "run"
    assert cli("run", "population", "--set", "population.firms=6", "--weeks", 30, "--out", out, "-q").exit_code == 0
    answers = pd.read_csv(out / "survey.csv")
    assert len(answers) == 6 and set(answers["stage"]) <= set(SURVEY_STAGES)
    record = json.loads((out / "survey.json").read_text())
    assert set(record["rates"]) == set(record["definitions"]) == {t.name for t in TARGETS}
    assert record["rates"]["regular_use"] == pytest.approx(answers["regular_use"].mean())


def test_a_firm_sampled_by_whole_teams_answers_like_the_whole_firm() -> None:
    # Super-individuals (docs/ODD.md section 2): a 6,000-person firm simulated by 100 of its 500 teams, each
    # standing for five, against the whole firm, over 12 seeds each. The sample has the firm's real number of
    # proposals and the same firm means in expectation, so every headline figure's mean must agree within
    # three standard errors of the difference (plus 1% of the larger mean, for figures with little spread).
    def figures(*overrides: str) -> pd.DataFrame:
        spec = load_scenario("baseline", ["firm.employees=6000", *overrides])
        return pd.DataFrame([run(spec, seed).summary for seed in range(12)])

    whole, sampled = figures(), figures("firm.agents=1200")
    assert sampled["employees"].eq(6000).all()
    for metric in ("pilots_proposed", "pilots_started", "pilots_reached_production", "usage_rate", "engagement_rate"):
        a, b = whole[metric], sampled[metric]
        se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        assert abs(a.mean() - b.mean()) <= 3 * se + 0.01 * max(a.mean(), b.mean()), (metric, a.mean(), b.mean(), se)


def test_week_zero_is_mid_2023_in_the_population_and_the_introduction_of_ai_in_a_single_firm() -> None:
    # docs/ODD.md 5.3: in the shipped population the most innovative 12% (Pew, July 2023) start as committed
    # adopters at the lowest adopter's usage; nobody is engaged; no pilots. 1,000 employees give the share a
    # binomial standard error of 0.01: three of them either side. A single firm by default starts when the
    # tools arrive: nobody uses them.
    assert load_scenario("population").params.adoption.initial_adopters == 0.12
    assert not AdoptionModel(load_scenario("baseline"), rng=4).workforce.adopted.any()
    model = AdoptionModel(load_scenario("baseline", ["params.adoption.initial_adopters=0.12"]), rng=4)
    w = model.workforce
    assert abs(w.adopted.mean() - 0.12) < 0.03
    assert w.innovativeness[w.adopted].min() >= 0.88 > w.innovativeness[~w.adopted].max()
    assert np.all(w.usage[w.adopted] == model.params.usage.committed_floor) and np.all(w.usage[~w.adopted] == 0)
    assert np.all(w.engagement == 0) and len(model.pilots) == 0


def test_scaling_asks_more_scaled_pilots_of_a_larger_firm() -> None:
    # docs/ODD.md 7.23: "scaling" needs one scaled pilot up to about 1,080 employees, then in proportion to the
    # use-case catalogue (square root of head count): 5 at 20,000, 10 at 100,000.
    from sim.survey import catalogue_share

    for employees, needed in ((200, 1), (1000, 1), (20000, 5), (100000, 10)):
        spec = load_scenario("baseline", [f"firm.employees={employees}", "firm.agents=240"])
        share = catalogue_share(AdoptionModel(spec, rng=0), spec.survey.scaling_pilots)[0]
        assert int(np.ceil(share - 1e-9)) == needed, (employees, share)
