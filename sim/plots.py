"""Figures of one run: usage against engagement, the pilot funnel and pipeline, employees' anxiety and
attitude by state, and pilots by kind and platform."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.agents import EMPLOYEE_STATES
from sim.files import save_figure
from sim.metrics import firm_totals
from sim.pilots import KINDS, STAGES
from sim.run import RunResult

STATE_COLOURS = ("#bdbdbd", "#e6550d", "#6baed6", "#2171b5")
OUTCOME_COLOURS = {
    "scaled": "#238b45",
    "production": "#74c476",
    "in progress": "#9ecae1",
    "stalled": "#fdae6b",
    "abandoned": "#d94801",
}
STAGE_COLOURS = ("#deebf7", "#9ecae1", "#4292c6", "#74c476", "#238b45")


def usage_against_engagement(result: RunResult) -> Figure:
    """What a dashboard sees (usage) against genuine adoption (engagement), week by week."""
    weekly = firm_totals(result.timeseries)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(weekly.index, weekly["usage_rate"], label="regular users", color="#e6550d", lw=2)
    ax.plot(
        weekly.index, weekly["adopted_share"], label="adopters (decided to use AI)", color="#6baed6", lw=1.5, ls="--"
    )
    ax.plot(weekly.index, weekly["engagement_rate"], label="engaged adopters", color="#2171b5", lw=2)
    ax.plot(weekly.index, weekly["mean_anxiety"], label="mean AI anxiety", color="#756bb1", lw=1, ls=":")
    ax.set(
        xlabel="week", ylabel="share of employees", ylim=(0, 1), title=f"{result.scenario.name}: usage is not adoption"
    )
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig


def funnel(result: RunResult) -> Figure:
    """How many pilots reached each stage, and how many were abandoned."""
    reached = [(result.pilots["stage_reached"].map(STAGES.index) >= i).sum() for i in range(len(STAGES))]
    abandoned = (result.pilots["outcome"] == "abandoned").sum()
    labels = ["idea", "proof of concept", "pilot", "production", "scaled", "abandoned"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh(labels[::-1], [*reached, abandoned][::-1], color=["#d94801", *STAGE_COLOURS[::-1]])
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set(xlabel="pilots", title=f"{result.scenario.name}: the pilot funnel over {result.weeks} weeks")
    ax.margins(x=0.12)
    return fig


def pipeline(result: RunResult) -> Figure:
    """Live pilots in each stage week by week, with stalled and abandoned pilots."""
    weekly = firm_totals(result.timeseries)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.stackplot(weekly.index, *(weekly[s] for s in STAGES), labels=STAGES, colors=STAGE_COLOURS)
    ax.plot(weekly.index, weekly["stalled"], color="#fd8d3c", lw=1.5, label="of which stalled")
    ax.plot(weekly.index, weekly["abandoned"], color="#d94801", lw=1.5, ls="--", label="abandoned (cumulative)")
    ax.set(xlabel="week", ylabel="pilots", title=f"{result.scenario.name}: pilots by stage")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
    return fig


def distributions(result: RunResult) -> Figure:
    """Employees' anxiety and attitude at the end of the run, by visible state."""
    w = result.model.workforce
    states = result.model.employee_states()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    bins = np.linspace(0, 1, 21)
    for ax, values, title in (
        (axes[0], w.anxiety, "AI anxiety"),
        (axes[1], w.attitude, "attitude (perceived usefulness)"),
    ):
        groups = [values[states == code] for code in range(len(EMPLOYEE_STATES))]
        ax.hist(groups, bins=bins, stacked=True, color=STATE_COLOURS, label=EMPLOYEE_STATES)
        ax.set(xlabel=title, xlim=(0, 1))
    axes[0].set_ylabel("employees")
    axes[1].legend(fontsize=8, frameon=False)
    fig.suptitle(f"{result.scenario.name}: employees at week {result.weeks}")
    fig.tight_layout()
    return fig


def pilots_by_kind_and_platform(result: RunResult) -> Figure:
    """Outcomes of pilots by use-case kind (front or back office) and by platform."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    platforms = range(max(firm.platforms for firm in result.model.firms))
    for ax, column, categories, title in (
        (axes[0], "kind", KINDS, "use-case kind"),
        (axes[1], "platform", platforms, "platform (0 = shared)"),
    ):
        table = pd.crosstab(result.pilots[column], result.pilots["outcome"])
        table = table.reindex(index=list(categories), columns=list(OUTCOME_COLOURS), fill_value=0)
        table.plot.bar(stacked=True, ax=ax, color=list(OUTCOME_COLOURS.values()), legend=False, rot=0, width=0.7)
        ax.set(xlabel=title, ylabel="pilots")
    axes[1].legend(fontsize=8, frameon=False, title="outcome", title_fontsize=8)
    fig.suptitle(f"{result.scenario.name}: pilots by kind and platform")
    fig.tight_layout()
    return fig


RUN_FIGURES = {
    "usage_vs_engagement": usage_against_engagement,
    "funnel": funnel,
    "pipeline": pipeline,
    "distributions": distributions,
    "pilots_by_kind_platform": pilots_by_kind_and_platform,
}


def save_run_figures(result: RunResult, folder: Path) -> list[Path]:
    """Draw every run figure into `folder` as PNG and SVG (sim.files)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in RUN_FIGURES.items():
        paths.append(save_figure(draw(result), folder / f"{name}.png", dpi=110, tight=True))
    return paths
