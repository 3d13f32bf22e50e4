"""A comparison in money: each option's extra value, net value, return on cost, payback week and run-rate
against the base, from the same paired replicates as the comparison table (sim/value.py has the conversion
and the definitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.compare import ComparisonPlan, Results, paired_interval
from sim.value import SOURCE, Money, PairedMoney, half_paid_back, money_of, paired_money, run_rate, value_trace

MONEY_COLUMNS = (
    "arm",
    "currency",
    "extra_cost",
    "extra_value",
    "net_value",
    "net_value_ci_low",
    "net_value_ci_high",
    "return_on_cost",
    "payback_week",
    "paid_back_replicates",
    "extra_run_rate",
    "extra_run_rate_ci_low",
    "extra_run_rate_ci_high",
)
"""Columns of money.csv, a row per option."""


def money_available(plan: ComparisonPlan) -> bool:
    """Value converts into money for a single firm; a population's firms each have their own revenue."""
    return plan.base.population is None


def paired(plan: ComparisonPlan, results: Results) -> dict[str, list[PairedMoney]]:
    """Every option's replicates against the base's, in money."""
    money = money_of(plan.base)
    return {
        arm: [paired_money(b, a, money) for b, a in zip(results.base, outcomes, strict=True)]
        for arm, outcomes in results.arms.items()
    }


def arm_money(replicates: list[PairedMoney]) -> dict:
    """One option's money figures: means over paired replicates, with 95% intervals for net value and
    run-rate, the return on cost and the payback week by which at least half the replicates paid back."""
    net = np.array([r.net_value for r in replicates])
    rate = np.array([r.extra_run_rate for r in replicates])
    extra_cost = float(np.mean([r.extra_cost for r in replicates]))
    net_low, net_high = paired_interval(net)
    rate_low, rate_high = paired_interval(rate)
    return {
        "extra_cost": extra_cost,
        "extra_value": float(np.mean([r.extra_value for r in replicates])),
        "net_value": float(net.mean()),
        "net_value_ci_low": net_low,
        "net_value_ci_high": net_high,
        "return_on_cost": float(net.mean() / extra_cost) if extra_cost > 0 else None,
        "payback_week": half_paid_back([r.payback_week for r in replicates]),
        "paid_back_replicates": sum(r.payback_week is not None for r in replicates),
        "extra_run_rate": float(rate.mean()),
        "extra_run_rate_ci_low": rate_low,
        "extra_run_rate_ci_high": rate_high,
    }


def money_record(plan: ComparisonPlan, results: Results) -> dict | None:
    """The comparison in money for comparison.json (None for a population, whose firms differ in revenue)."""
    if not money_available(plan):
        return None
    money: Money = money_of(plan.base)
    base_values = [float(value_trace(o.traces)[-1]) * money.value_unit for o in results.base]
    base_rates = [run_rate(value_trace(o.traces)) * money.value_unit for o in results.base]
    return {
        "currency": money.currency,
        "revenue": money.revenue,
        "scope": money.scope,
        "value_unit": money.value_unit,
        "value_share": plan.base.firm.value_share,
        "source": SOURCE,
        "base_value": float(np.mean(base_values)),
        "base_run_rate": float(np.mean(base_rates)),
        "arms": {arm: arm_money(replicates) for arm, replicates in paired(plan, results).items()},
    }


def money_frame(record: dict | None) -> pd.DataFrame:
    """money.csv: a row per option (empty for a population)."""
    if record is None:
        return pd.DataFrame(columns=list(MONEY_COLUMNS))
    rows = [{"arm": arm, "currency": record["currency"], **figures} for arm, figures in record["arms"].items()]
    return pd.DataFrame(rows, columns=list(MONEY_COLUMNS)).astype({"payback_week": "Int64"})


def with_money(frame: pd.DataFrame, plan: ComparisonPlan, results: Results) -> pd.DataFrame:
    """replicates.csv with each replicate's value in money: `value` over the horizon and `value_run_rate` a
    year at its end (every row), and for an option's rows `net_value` and `payback_week` against the base's
    replicate with the same seed (empty for the base's rows, and where a replicate never paid back)."""
    if not money_available(plan):
        return frame
    money = money_of(plan.base)
    groups = [results.base, *results.arms.values()]
    frame = frame.copy()
    frame["value"] = [float(value_trace(o.traces)[-1]) * money.value_unit for g in groups for o in g]
    frame["value_run_rate"] = [run_rate(value_trace(o.traces)) * money.value_unit for g in groups for o in g]
    pairs = paired(plan, results)
    empty = [None] * len(results.base)
    frame["net_value"] = empty + [r.net_value for arm in results.arms for r in pairs[arm]]
    frame["payback_week"] = pd.array(
        empty + [r.payback_week for arm in results.arms for r in pairs[arm]], dtype="Int64"
    )
    return frame
