"""Figures of a comparison: each headline figure over time, per arm against the base, as the median with a
10 to 90% band across replicates and the interventions' start and end weeks drawn as vertical lines; and
the paired differences to the base with their intervals."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.experiments.compare import (
    METRICS,
    ComparisonPlan,
    Outcome,
    Results,
    Span,
    added_spans,
    intervention_spans,
)
from sim.files import save_figure
from sim.terms import smallest_meaningful
from sim.value import Money, amount_text, money_of

BASE_COLOUR = "#737373"
ARM_COLOURS = ("#2171b5", "#e6550d", "#31a354", "#756bb1", "#d6616b", "#8c6d31", "#17becf", "#bcbd22")
VERDICT_COLOURS = {"better": "#238b45", "worse": "#cb181d", "unclear": "#969696"}
BAND = (10, 50, 90)
"""Percentiles drawn across replicates: the band's edges and the median line."""
PANEL_COLUMNS = 3


def band(outcomes: list[Outcome], metric: str) -> np.ndarray:
    """The 10th, 50th and 90th percentile of a metric's weekly trace across replicates (3 x weeks)."""
    return np.percentile(np.stack([o.traces[metric] for o in outcomes]), BAND, axis=0)


def draw_band(ax: Axes, trace: np.ndarray, colour: str) -> None:
    """A median line over its 10 to 90% band."""
    weeks = np.arange(trace.shape[1])
    ax.fill_between(weeks, trace[0], trace[2], color=colour, alpha=0.2, lw=0)
    ax.plot(weeks, trace[1], color=colour, lw=1.8)


def draw_spans(ax: Axes, spans: list[Span], colour: str) -> None:
    """Intervention starts (solid) and ends (dashed) as vertical lines, each start week labelled once (with
    the intervention's name, or how many start that week)."""
    starting: dict[int, list[str]] = {}
    for span in (s for s in spans if s.start is not None):
        starting.setdefault(span.start, []).append(span.label)
        if span.end is not None:
            ax.axvline(span.end, color=colour, lw=0.9, ls="--", alpha=0.8)
    for week, labels in starting.items():
        ax.axvline(week, color=colour, lw=0.9, alpha=0.8)
        ax.annotate(
            labels[0] if len(labels) == 1 else f"{len(labels)} interventions",
            (week, 1),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize=6,
            color=colour,
        )


def panel_grid(n: int, width: float = 4.2, height: float = 3.0, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """A figure with n panels, up to three to a row (with one y-axis for all when `sharey`); unused panels
    are hidden."""
    columns = min(n, PANEL_COLUMNS)
    rows = math.ceil(n / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(width * columns, height * rows), squeeze=False, sharey="all" if sharey else "none"
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def over_time(plan: ComparisonPlan, results: Results, metric: str, money: Money | None = None) -> Figure:
    """One metric week by week: a panel per arm, the arm in colour over the base in grey (median and
    10 to 90% band across replicates), with the interventions' start and end weeks. The panels share one
    y-axis, so arms can be read against each other, not only against the base. With `money`, value metrics
    are drawn in the firm's currency."""
    scale = money.value_unit if money is not None and METRICS[metric].unit == "value" else 1.0
    base_band = band(results.base, metric) * scale
    base_spans = intervention_spans(plan.base.interventions, results.base)
    fig, axes = panel_grid(len(results.arms), sharey=True)
    for i, ((arm, outcomes), ax) in enumerate(zip(results.arms.items(), axes, strict=True)):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        draw_band(ax, base_band, BASE_COLOUR)
        draw_band(ax, band(outcomes, metric) * scale, colour)
        draw_spans(ax, added_spans(plan, arm, outcomes), colour)
        draw_spans(ax, base_spans, BASE_COLOUR)
        ax.set_title(arm, fontsize=10, color=colour)
        ax.set(xlabel="week", xlim=(0, plan.base.weeks))
        ax.tick_params(axis="y", labelleft=True)
        if scale != 1.0:
            money_axis(ax.yaxis, money)
        ax.grid(alpha=0.3)
    legend = [
        Line2D([], [], color=BASE_COLOUR, lw=2, label=f"{plan.base.name} (median, 10-90% band)"),
        Line2D([], [], color=ARM_COLOURS[0], lw=2, label="option (median, 10-90% band)"),
        Line2D([], [], color="black", lw=0.9, label="intervention starts"),
        Line2D([], [], color="black", lw=0.9, ls="--", label="intervention ends"),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0))
    series = " + ".join(METRICS[metric].series)
    fig.suptitle(f"{titled(metric, money)} over time ({series}), {len(results.seeds)} replicates per option")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def money_axis(axis, money: Money) -> None:
    """Ticks of an axis in money as people say amounts (500k, 2.0M; the currency is in the title), at most
    five of them so that they do not run into each other."""
    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: amount_text(value)))


def titled(metric: str, money: Money | None = None) -> str:
    """A metric's label for a figure, with its unit (the currency, with `money`) where the label does not say it."""
    unit = METRICS[metric].unit
    if unit in ("value", "money") and money is not None:
        return f"{METRICS[metric].label} ({money.currency})"
    return METRICS[metric].label + {"value": " (value units)", "money": " (in the firm's currency)"}.get(unit, "")


def verdict(row: pd.Series) -> str:
    """Clearly better (the interval wholly on the better side of zero and the mean difference at least the
    metric's smallest meaningful difference, sim/terms.py), clearly worse (the same on the worse side), or
    unclear."""
    metric = METRICS[row["metric"]]
    low, high = sorted((metric.better * row["diff_ci_low"], metric.better * row["diff_ci_high"]))
    meaningful = abs(row["diff_mean"]) >= smallest_meaningful(metric.unit)
    return "better" if low > 0 and meaningful else "worse" if high < 0 and meaningful else "unclear"


def differences(table: pd.DataFrame, money: Money | None = None) -> Figure:
    """Each arm's mean paired difference to the base with its 95% interval, a panel per metric, coloured by
    whether the arm is clearly better, clearly worse, or not distinguishable from the base. With `money`,
    value metrics are drawn in the firm's currency (judged clear or not in value units, as the table is)."""
    table = table.assign(verdict=table.apply(verdict, axis=1))
    if money is not None:
        value = table["metric"].map(lambda m: METRICS[m].unit == "value")
        columns = ["diff_mean", "diff_ci_low", "diff_ci_high"]
        table.loc[value, columns] = table.loc[value, columns] * money.value_unit
    metrics = list(dict.fromkeys(table["metric"]))
    arms = list(dict.fromkeys(table["arm"]))
    fig, axes = panel_grid(len(metrics), width=4.4, height=0.5 + 0.42 * len(arms))
    for ax, metric in zip(axes, metrics, strict=True):
        rows = table[table["metric"] == metric].set_index("arm").loc[arms].reset_index()
        y = np.arange(len(arms))[::-1]
        for yi, (_, row) in zip(y, rows.iterrows(), strict=True):
            colour = VERDICT_COLOURS[row["verdict"]]
            ax.plot([row["diff_ci_low"], row["diff_ci_high"]], [yi, yi], color=colour, lw=2.5)
            ax.plot(row["diff_mean"], yi, "o", color=colour, ms=5)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, arms, fontsize=8)
        direction = "higher" if METRICS[metric].better > 0 else "lower"
        ax.set_title(f"{titled(metric, money)}\n({direction} is better)", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        if money is not None and METRICS[metric].unit in ("value", "money"):
            money_axis(ax.xaxis, money)
        ax.grid(axis="x", alpha=0.3)
    legend = [
        Line2D([], [], color=c, lw=2.5, label="not clearly changed" if v == "unclear" else f"clearly {v}")
        for v, c in VERDICT_COLOURS.items()
    ]
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(
        "Difference to the base case (option minus base case): mean over paired replicates with its 95% interval"
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def save_comparison_figures(plan: ComparisonPlan, results: Results, table: pd.DataFrame, folder: Path) -> list[Path]:
    """Draw every comparison figure into `folder` as PNG and SVG (sim.files): one over time per metric
    that has a weekly trace, and the chart of differences."""
    folder.mkdir(parents=True, exist_ok=True)
    money = money_of(plan.base) if plan.base.population is None else None
    drawings = {
        f"over_time_{m}": partial(over_time, plan, results, m, money) for m in plan.spec.metrics if METRICS[m].series
    }
    drawings["differences"] = partial(differences, table, money)
    paths = []
    for name, draw in drawings.items():
        paths.append(save_figure(draw(), folder / f"{name}.png", tight=True))
    return paths
