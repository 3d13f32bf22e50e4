"""Value in money: the model's value units in a firm's currency, and what an option is worth net of its cost.

The model accrues value in units (sim/pilots.py, `accrue_value`): each use case has a yearly value at scale
(`params.pilots.front_value`, `back_value`, in units), a pilot in production delivers a share of it, and a
firm's `revenue` (front office) and `savings` (back office) add up week by week. This module converts those
same figures; it adds no second value mechanism.

One value unit a year is worth `value_share` of the firm's annual revenue, divided by the firm's use-case
scope (its catalogue of distinct use cases against a 1,000-employee firm's, which grows with the square root
of head count):

    value_unit = revenue x value_share / scope,   revenue = firm.revenue or employees x revenue_per_employee

The default `value_share` of 0.001 ties the unit to the survey mapping: the model's "EBIT impact" threshold is
a run-rate of `ebit_threshold` (1) unit a year times scope (docs/ODD.md, section 7.23), and McKinsey's State of
AI 2025 finds that most firms reporting any EBIT impact from AI attribute under 5% of their EBIT to it. Taking
the smallest impact a respondent reports as about 1% of EBIT, at an operating margin of about 10% of revenue,
gives 0.1% of revenue per unit at the 1,000-employee scope. Dividing by scope keeps the threshold at the same
share of EBIT at every size, as the survey mapping does. For the shipped 1,000-person firm at the default
USD 250,000 of revenue per employee a unit is USD 250,000 a year: a front-office use case at scale (median 1
unit) is worth about USD 250,000 a year, a back-office one (median 3 units) about USD 750,000.

For an option compared with a base, per paired replicate r (the same seed for both):

    extra value_r    = (value_arm,r - value_base,r) x value_unit        over the horizon
    net value_r      = extra value_r - (cost_arm,r - cost_base,r)
    run-rate_r       = 52 x (last week's value accrued, arm - base) x value_unit    a year, at the horizon
    payback week_r   = the first week from which the cumulative net value stays above zero to the horizon

and for the option: the mean of each over replicates, the return on cost (mean net value over mean extra
cost), and the payback week by which at least half the replicates have paid back (the lower median, a
replicate that never pays back counting as later than any week).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.schema import Scenario
from sim.state import use_case_catalogue

WEEKS_A_YEAR = 52
SOURCE = (
    "McKinsey & Company (2025), The state of AI in 2025: 39% of organisations report any EBIT impact from AI, "
    "most of them under 5% of EBIT; the smallest reported impact taken as about 1% of EBIT at an operating "
    "margin of about 10% (assumptions)"
)
"""The basis of the default value_share, as reports cite it."""


@dataclass(frozen=True)
class Money:
    """How a scenario's value units convert into its firm's currency."""

    currency: str
    revenue: float
    scope: float
    value_unit: float


def money_of(scenario: Scenario) -> Money:
    """The currency, annual revenue, use-case scope and value of one unit a year for a scenario's firm."""
    firm = scenario.firm
    revenue = firm.revenue if firm.revenue is not None else firm.employees * firm.revenue_per_employee
    scope = float(use_case_catalogue([firm], scenario.params)[0]) / scenario.params.pilots.use_cases
    return Money(firm.currency, float(revenue), scope, float(revenue * firm.value_share / scope))


def amount_text(amount: float, currency: str = "") -> str:
    """An amount as people say it, with its currency where known: USD 850, USD 12k, USD 3.2M, -USD 1.5M."""
    size = abs(amount)
    if size >= 1e9:
        text = f"{size / 1e9:.1f}bn"
    elif size >= 1e6:
        text = f"{size / 1e6:.1f}M"
    elif size >= 1e3:
        text = f"{size / 1e3:.0f}k"
    else:
        text = f"{size:.0f}"
    sign = "-" if amount < 0 and text != "0" else ""
    return f"{sign}{currency} {text}" if currency else f"{sign}{text}"


def run_rate(cumulative: np.ndarray) -> float:
    """The yearly rate a cumulative weekly trace of value grows at in its last week (52 x the last increment)."""
    if len(cumulative) < 2:
        return 0.0
    return float(WEEKS_A_YEAR * (cumulative[-1] - cumulative[-2]))


def payback_week(net: np.ndarray) -> int | None:
    """The first week from which a cumulative net value (indexed by week) stays above zero to the horizon;
    None when it is not above zero at the horizon."""
    above = net > 0
    if len(net) == 0 or not above[-1]:
        return None
    below = np.flatnonzero(~above)
    return int(below[-1] + 1) if len(below) else 0


def half_paid_back(weeks: list[int | None]) -> int | None:
    """The week by which at least half the replicates have paid back: the lower median of the payback weeks,
    a replicate that never pays back counting as later than any week (None: fewer than half paid back)."""
    ordered = sorted(weeks, key=lambda week: math.inf if week is None else week)
    return ordered[math.ceil(len(ordered) / 2) - 1] if ordered else None


def value_trace(traces: dict[str, np.ndarray]) -> np.ndarray:
    """Cumulative value in units week by week: revenue added plus cost saved."""
    return traces["revenue"] + traces["savings"]


@dataclass(frozen=True)
class PairedMoney:
    """One replicate of an option against the same replicate of the base, in money."""

    extra_value: float
    extra_cost: float
    net_value: float
    extra_run_rate: float
    payback_week: int | None


def paired_money(base, arm, money: Money) -> PairedMoney:
    """An option's replicate against the base's (each a comparison Outcome: figures and weekly traces)."""
    unit = money.value_unit
    extra_value = arm.figures["revenue"] + arm.figures["savings"] - base.figures["revenue"] - base.figures["savings"]
    extra_cost = arm.figures["intervention_cost"] - base.figures["intervention_cost"]
    net = (value_trace(arm.traces) - value_trace(base.traces)) * unit - (
        arm.traces["intervention_cost"] - base.traces["intervention_cost"]
    )
    return PairedMoney(
        extra_value=float(extra_value * unit),
        extra_cost=float(extra_cost),
        net_value=float(extra_value * unit - extra_cost),
        extra_run_rate=(run_rate(value_trace(arm.traces)) - run_rate(value_trace(base.traces))) * unit,
        payback_week=payback_week(net),
    )
