"""Value in money: the conversion of value units into the firm's currency, payback and run-rate, and the shipped
comparison's net value, return on cost, payback and run-rate recomputed here from its replicates."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.experiments.compare import load_comparison
from sim.value import amount_text, half_paid_back, money_of, payback_week, run_rate

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "comparisons" / "interventions.yaml"
REPLICATES = 4


def test_a_value_unit_is_a_share_of_revenue_over_the_use_case_scope():
    """Baseline: 1,000 employees at USD 250,000 each, 0.1% of revenue, scope 1: USD 250,000 a unit. A firm of
    4,000 with EUR 900M of revenue: 12 x sqrt(4) = 24 use cases against 12, scope 2: 900M x 0.001 / 2."""
    base = money_of(sim.load_scenario("baseline"))
    assert (base.currency, base.revenue, base.scope, base.value_unit) == ("USD", 250e6, 1.0, 250_000.0)
    insurer = sim.load_scenario("baseline", ["firm.employees=4000", "firm.revenue=900000000", "firm.currency=EUR"])
    money = money_of(insurer)
    assert (money.currency, money.scope) == ("EUR", 2.0)
    assert money.value_unit == pytest.approx(450_000.0)


def test_amounts_carry_their_currency():
    assert amount_text(3_200_000, "USD") == "USD 3.2M"
    assert amount_text(-656_971, "EUR") == "-EUR 657k"
    assert amount_text(850, "GBP") == "GBP 850"
    assert amount_text(2.5e9, "USD") == "USD 2.5bn"


def test_payback_is_the_first_week_the_cumulative_net_stays_above_zero():
    assert payback_week(np.array([0.0, -5, -3, 1, -1, 2, 4])) == 5  # dips below after week 3: counts from week 5
    assert payback_week(np.array([0.0, -5, -3, -1])) is None
    assert payback_week(np.array([0.0, 0.0, 1.0])) == 2
    assert payback_week(np.array([1.0, 2.0])) == 0


def test_half_paid_back_is_the_lower_median_with_never_last():
    assert half_paid_back([30, None, 10, 20]) == 20  # 2 of 4 paid back by week 20
    assert half_paid_back([30, None, None, 20]) == 30
    assert half_paid_back([None, None, 5]) is None  # only 1 of 3
    assert half_paid_back([40, 10, 20]) == 20


def test_run_rate_is_a_year_of_the_last_weeks_increment():
    assert run_rate(np.array([0.0, 1.0, 3.0, 3.5])) == 26.0
    assert run_rate(np.array([2.0])) == 0.0


def test_a_bad_currency_is_refused(cli, tmp_path):
    result = cli("run", "baseline", "--set", "firm.currency=dollars", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "firm.currency" in result.stderr and "'dollars'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped comparison with four replicates, and its report."""
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path_factory.mktemp("money") / "interventions"
    runner = CliRunner()
    result = runner.invoke(
        app, ["compare", str(SHIPPED), "--out", str(out), "--replicates", str(REPLICATES), "--workers", "2", "--quiet"]
    )
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    return out


def t_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% t-interval of a mean, computed here with scipy's one-sample t-test."""
    ci = stats.ttest_1samp(values, 0).confidence_interval(0.95)
    return ci.low, ci.high


def test_net_value_payback_and_run_rate_agree_with_the_replicates(shipped):
    """Recompute every money figure of money.csv from replicates.csv: value from the summary's own cost savings
    and revenue added times USD 250,000 a unit (0.1% of 1,000 x USD 250,000), costs from intervention_cost,
    paired by replicate; payback by the lower-median rule over the replicates' payback weeks. Tolerance: the
    CSV files keep six significant digits, so relative 1e-5 for means; a single replicate's net value is
    recomputed from four rounded inputs of up to about 30 units (each off by at most 0.00005 units, USD 12.5),
    so USD 50 absolute (USD 100 for interval ends, where the t-quantile of 3.18 multiplies the spread)."""
    replicates = pd.read_csv(shipped / "replicates.csv")
    money = pd.read_csv(shipped / "money.csv").set_index("arm")
    unit = 1000 * 250_000 * 0.001
    replicates["money_value"] = (replicates["savings"] + replicates["revenue"]) * unit
    assert np.allclose(replicates["value"], replicates["money_value"], rtol=1e-5, atol=25)
    base = replicates[replicates["arm"] == "baseline"].set_index("replicate")
    plan = load_comparison(SHIPPED)
    assert set(money.index) == set(plan.arms)
    for arm in plan.arms:
        rows = replicates[replicates["arm"] == arm].set_index("replicate")
        extra_value = rows["money_value"] - base["money_value"]
        extra_cost = rows["intervention_cost"] - base["intervention_cost"]
        net = extra_value - extra_cost
        rate = rows["value_run_rate"] - base["value_run_rate"]
        figures = money.loc[arm]
        assert figures["currency"] == "USD"
        assert figures["extra_cost"] == pytest.approx(extra_cost.mean(), rel=1e-5)
        assert figures["net_value"] == pytest.approx(net.mean(), rel=1e-5, abs=50)
        assert (figures["net_value_ci_low"], figures["net_value_ci_high"]) == pytest.approx(
            t_interval(net.to_numpy()), rel=1e-4, abs=100
        )
        assert figures["return_on_cost"] == pytest.approx(net.mean() / extra_cost.mean(), rel=1e-4)
        assert figures["extra_run_rate"] == pytest.approx(rate.mean(), rel=1e-5, abs=50)
        assert np.allclose(rows["net_value"], net, rtol=1e-5, atol=50)
        weeks = sorted(rows["payback_week"], key=lambda w: math.inf if pd.isna(w) else w)
        half = weeks[math.ceil(len(weeks) / 2) - 1]
        assert (pd.isna(half) and pd.isna(figures["payback_week"])) or half == figures["payback_week"]
        assert figures["paid_back_replicates"] == rows["payback_week"].notna().sum()


def test_a_replicates_run_rate_is_its_last_weeks_value(shipped):
    """One replicate of the infrastructure option, run again here: 52 x the last week's increase in cost
    savings plus revenue added, in money, is the value_run_rate replicates.csv holds."""
    replicates = pd.read_csv(shipped / "replicates.csv")
    row = replicates[(replicates["arm"] == "infrastructure") & (replicates["replicate"] == 1)].iloc[0]
    plan = load_comparison(SHIPPED)
    weekly = sim.run(plan.arms["infrastructure"], int(row["seed"])).timeseries
    value = (weekly["savings"] + weekly["revenue"]).to_numpy() * 250_000
    assert row["value_run_rate"] == pytest.approx(52 * (value[-1] - value[-2]), rel=1e-5)
    assert row["value"] == pytest.approx(value[-1], rel=1e-5)


def test_the_report_states_net_value_payback_and_run_rate_in_the_currency(shipped):
    money = pd.read_csv(shipped / "money.csv").set_index("arm")
    page = html.unescape((shipped / "report.html").read_text(encoding="utf-8"))
    text = re.sub(r"<[^>]+>", " ", page)
    plain = text.replace("\xa0", " ")
    assert "Value in money" in text
    for arm, figures in money.iterrows():
        net = ("+" if figures["net_value"] >= 0 else "-") + amount_text(abs(figures["net_value"]), "USD")
        assert net in plain, arm
        assert amount_text(abs(figures["extra_run_rate"]), "USD") in plain, arm
        if pd.isna(figures["payback_week"]):
            assert f"not paid back within the 104 weeks ({figures['paid_back_replicates']} replicate" in text
        else:
            assert f"paid back by week {int(figures['payback_week'])}" in text
    assert re.search(r"one unit a year is worth USD 250k", text)
    assert "(value units)" not in text.split("Value in money")[0]  # values are shown in money
    amounts = list(re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?:k|M|bn)\b", text))
    assert len(amounts) > 50
    assert all(text[m.start() - 4 : m.start()] in ("USD ", "USD\xa0") for m in amounts)  # each with its currency


def test_a_replicate_pays_back_when_its_extra_value_overtakes_its_extra_cost():
    """Made-up weekly traces: the option spends 40,000 over weeks 1-4 and from week 3 adds 0.02 units a week
    (USD 5,000 at USD 250,000 a unit) over the base. Its cumulative net value is -40,000 at week 4 and
    5,000 x (w - 2) - 40,000 later: above zero from week 11 (5,000 x 9 = 45,000)."""
    from sim.experiments.compare import Outcome
    from sim.value import paired_money

    weeks = np.arange(21)
    base_value = 0.01 * weeks
    extra = 0.02 * np.clip(weeks - 2, 0, None)
    cost = 10_000.0 * np.clip(weeks, 0, 4)

    def outcome(value: np.ndarray, spent: np.ndarray) -> Outcome:
        traces = {"revenue": value / 2, "savings": value / 2, "intervention_cost": spent}
        figures = {"revenue": value[-1] / 2, "savings": value[-1] / 2, "intervention_cost": spent[-1]}
        return Outcome(figures=figures, traces=traces, starts=[])

    money = money_of(sim.load_scenario("baseline"))
    result = paired_money(outcome(base_value, 0 * cost), outcome(base_value + extra, cost), money)
    assert result.payback_week == 11
    assert result.extra_cost == 40_000
    assert result.net_value == pytest.approx(5_000 * 18 - 40_000)
    assert result.extra_run_rate == pytest.approx(52 * 5_000)
