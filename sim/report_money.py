"""The report's money parts: a comparison's values in the firm's currency, each option's net value, return on
cost, payback week and run-rate in the summary, and the section "Value in money" (definitions: sim/value.py).
"""

from __future__ import annotations

import copy
import math

import pandas as pd

from sim.terms import smallest_meaningful
from sim.value import WEEKS_A_YEAR, amount_text


def in_money(data: dict) -> dict:
    """The comparison with its value metrics (cost savings, revenue added) converted from value units into the
    firm's currency, smallest meaningful differences included; unchanged without money (a population, or a
    folder from before money). Converting twice is harmless: a converted comparison is marked."""
    money = data.get("money")
    if not money or data.get("converted_to_money"):
        return data
    unit = money["value_unit"]
    data = copy.deepcopy(data)
    value_metrics = [name for name, info in data["metrics"].items() if info["unit"] == "value"]
    for name in value_metrics:
        info = data["metrics"][name]
        info["unit"] = "money"
        info["meaningful"] = info.get("meaningful", smallest_meaningful("value")) * unit
    for row in data["results"]:
        if row["metric"] in value_metrics:
            for key in ("base_mean", "arm_mean", "diff_mean", "diff_ci_low", "diff_ci_high"):
                row[key] *= unit
    data["converted_to_money"] = True
    return data


def signed(amount: float, currency: str) -> str:
    """An amount with its sign: +USD 1.2M, -USD 300k."""
    return ("+" if amount >= 0 else "-") + amount_text(abs(amount), currency)


def payback_text(figures: dict, weeks: int) -> str:
    """When an option pays back: the week by which half the replicates had, or that it had not by the horizon."""
    if figures["payback_week"] is not None:
        return f"paid back by week {figures['payback_week']} in at least half the replicates"
    done = figures["paid_back_replicates"]
    text = f"not paid back within the {weeks} weeks ({done} replicate{'' if done == 1 else 's'} did)"
    if figures["net_value"] < 0 < figures["extra_run_rate"]:
        later = math.ceil(-figures["net_value"] / (figures["extra_run_rate"] / WEEKS_A_YEAR))
        text += f", though at its run-rate, spending nothing more, it would pay back about {later} weeks later"
    return text


def money_sentence(arm: str, data: dict) -> str:
    """One option's money in a sentence: net value with its interval, return on cost, payback and run-rate."""
    money = data.get("money")
    if not money or arm not in money["arms"]:
        return ""
    figures, currency = money["arms"][arm], money["currency"]
    ratio = figures["return_on_cost"]
    ret = f", a return on cost of {ratio:+.0%}" if ratio is not None else ""
    return (
        f" In money: net value {signed(figures['net_value'], currency)} over {data['weeks']} weeks (95% interval "
        f"{signed(figures['net_value_ci_low'], currency)} to {signed(figures['net_value_ci_high'], currency)}): "
        f"{signed(figures['extra_value'], currency)} of extra value against "
        f"{amount_text(figures['extra_cost'], currency)} of extra cost{ret}; "
        f"{payback_text(figures, data['weeks'])}; {run_rate_text(figures['extra_run_rate'], currency)}."
    )


def run_rate_text(rate: float, currency: str) -> str:
    """The extra run-rate at the end of the horizon in words."""
    if rate >= 0:
        return (
            f"at the end it adds {amount_text(rate, currency)} a year (run-rate), value that keeps coming after "
            "the horizon"
        )
    return f"at the end it delivers {amount_text(-rate, currency)} a year less than the base case (run-rate)"


def best_in_money(data: dict) -> list[str]:
    """Which option has the highest net value over the horizon, and which the highest run-rate at its end."""
    money = data.get("money")
    if not money or not money["arms"]:
        return []
    arms, currency = money["arms"], money["currency"]
    net = max(arms, key=lambda arm: arms[arm]["net_value"])
    rate = max(arms, key=lambda arm: arms[arm]["extra_run_rate"])
    return [
        f"Highest net value over {data['weeks']} weeks: {net} ({signed(arms[net]['net_value'], currency)}); "
        f"highest run-rate at the end: {rate} ({signed(arms[rate]['extra_run_rate'], currency)} a year)."
    ]


def money_sections(data: dict) -> list[str]:
    """The section "Value in money": a row per option, and how value units became money."""
    from sim.report import paragraph, section, table  # the page's building blocks

    money = data.get("money")
    if not money:
        return []
    currency = money["currency"]
    rows = []
    for arm, f in money["arms"].items():
        ratio = f["return_on_cost"]
        rows.append(
            [
                arm,
                amount_text(f["extra_cost"], currency),
                signed(f["extra_value"], currency),
                signed(f["net_value"], currency),
                f"{signed(f['net_value_ci_low'], currency)} to {signed(f['net_value_ci_high'], currency)}",
                "—" if ratio is None else f"{ratio:+.0%}",
                "—" if f["payback_week"] is None else f"week {f['payback_week']}",
                f"{f['paid_back_replicates']} of {data['replicates']}",
                signed(f["extra_run_rate"], currency),
            ]
        )
    columns = [
        "option",
        "extra cost",
        f"extra value ({data['weeks']} weeks)",
        "net value",
        "net value, 95% interval",
        "return on cost",
        "payback week",
        "replicates paid back",
        "run-rate at the end (a year)",
    ]
    note = (
        f"Values are the model's value units (cost savings and revenue added) in {currency}: one unit a year is "
        f"worth {amount_text(money['value_unit'], currency)}, that is {money['value_share']:.2%} of the firm's "
        f"annual revenue ({amount_text(money['revenue'], currency)}) divided by its use-case scope "
        f"({money['scope']:.2f} of a 1,000-employee firm's catalogue). Basis: {money['source']}. Set "
        "firm.revenue, firm.currency and firm.value_share in the scenario for your own firm. Extra value and "
        "extra cost are the option's beyond the base case's, net value their difference, each a mean over "
        "paired replicates; return on cost is net value over extra cost; the payback week is the week by which "
        "at least half the replicates' cumulative net value stays above zero (— when fewer than half paid back "
        "within the horizon); the run-rate is the extra value a year still accruing in the last week, which the "
        f"{data['weeks']} weeks leave out. The base case delivers {amount_text(money['base_value'], currency)} "
        f"over the horizon and {amount_text(money['base_run_rate'], currency)} a year at its end."
    )
    return [section("Value in money", table(pd.DataFrame(rows, columns=columns)), paragraph(note, "note"))]


def run_money_sentence(summary: dict, scenario: dict | None) -> list[str]:
    """A run's value in money: cost savings and revenue added over the horizon, and the run-rate at its end
    (from the weekly figures), for a single firm whose scenario (scenario.yaml) can be read."""
    from sim.schema import Scenario
    from sim.value import money_of

    try:
        spec = Scenario.model_validate(scenario)
    except (ValueError, TypeError):
        return []
    if spec.population is not None:
        return []
    money = money_of(spec)
    unit, currency = money.value_unit, money.currency
    return [
        f"Value: {amount_text(summary['savings'] * unit, currency)} of cost savings and "
        f"{amount_text(summary['revenue'] * unit, currency)} of revenue added over the {summary['weeks']} weeks "
        f"(one value unit a year is worth {amount_text(unit, currency)} for this firm; README, Value in money)."
    ]
