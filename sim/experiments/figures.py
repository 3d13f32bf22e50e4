"""Figures of a sweep and of its sensitivity analysis.

A sweep is drawn as each outcome against each factor (the median over the runs at each level of the factor,
with the band from the 10th to the 90th percentile: over replicates, and over the other factors where they
vary too) and as a heat map of each outcome's median over two factors. A factor with more than a dozen
distinct values (a Latin hypercube, a Sobol' design) is cut into ten equal bins, drawn at their centres.
Sensitivity indices are drawn as bars (Sobol': first-order and total, with their confidence intervals) or
as Morris's mu* against sigma.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.experiments.compare_figures import panel_grid
from sim.experiments.design import SweepPlan
from sim.files import save_figure

BAND = (0.1, 0.5, 0.9)
"""Quantiles drawn over the runs at a level: the band's edges and the median line."""
MAX_LEVELS = 12
"""A factor with more distinct values than this is binned."""
BINS = 10
LINE = "#2171b5"
FIRST_ORDER, TOTAL = "#6baed6", "#08519c"


def factor_levels(values: pd.Series) -> pd.Series:
    """The level each run belongs to along a factor: its own value when the factor takes few values, else
    the centre of its bin among ten equal bins over the factor's range."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric or values.nunique() <= MAX_LEVELS:
        return values
    edges = np.linspace(values.min(), values.max(), BINS + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.Series(centres[np.digitize(values, edges[1:-1])], index=values.index, name=values.name)


def level_label(value: object) -> str:
    """A level as a tick label."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def draw_outcome_by_factor(ax: Axes, runs: pd.DataFrame, factor: str, outcome: str) -> None:
    """One outcome against one factor: the median over the runs at each level, over a 10 to 90% band."""
    levels = factor_levels(runs[factor])
    bands = runs.groupby(levels)[outcome].quantile(list(BAND)).unstack()
    numeric = pd.api.types.is_numeric_dtype(bands.index) and not pd.api.types.is_bool_dtype(bands.index)
    x = bands.index.to_numpy() if numeric else np.arange(len(bands))
    ax.fill_between(x, bands[BAND[0]], bands[BAND[2]], color=LINE, alpha=0.2, lw=0, label="10-90% of runs")
    ax.plot(x, bands[BAND[1]], color=LINE, lw=1.8, marker="o", ms=3, label="median")
    if not numeric:
        ax.set_xticks(x, [level_label(v) for v in bands.index], rotation=30, ha="right")
    ax.grid(alpha=0.3)


def effects_figure(runs: pd.DataFrame, factors: list[str], outcomes: list[str]) -> Figure:
    """Every outcome (a row) against every factor (a column): medians with 10 to 90% bands."""
    fig, axes = plt.subplots(
        len(outcomes),
        len(factors),
        figsize=(3.2 * len(factors), 2.4 * len(outcomes) + 0.4),
        squeeze=False,
        sharex="col",
        layout="constrained",
    )
    for row, outcome in enumerate(outcomes):
        for column, factor in enumerate(factors):
            ax = axes[row, column]
            draw_outcome_by_factor(ax, runs, factor, outcome)
            if column == 0:
                ax.set_ylabel(outcome, fontsize=9)
            if row == len(outcomes) - 1:
                ax.set_xlabel(factor, fontsize=9)
    axes[0, 0].legend(fontsize=7, frameon=False)
    fig.suptitle("Outcomes against each factor: median over runs, 10-90% band", fontsize=11)
    return fig


def draw_heat_map(ax: Axes, runs: pd.DataFrame, x: str, y: str, outcome: str) -> None:
    """An outcome's median over the runs in each cell of two factors' levels, with the values written in
    when the cells are few enough to read."""
    cells = runs.groupby([factor_levels(runs[y]), factor_levels(runs[x])])[outcome].median().unstack()
    image = ax.imshow(cells.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(cells.columns)), [level_label(v) for v in cells.columns], rotation=45, ha="right")
    ax.set_yticks(range(len(cells.index)), [level_label(v) for v in cells.index])
    ax.set(xlabel=x, ylabel=y, title=f"median {outcome}")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if cells.size <= 50:
        middle = np.nanmean(cells.to_numpy(dtype=float))
        for (i, j), value in np.ndenumerate(cells.to_numpy(dtype=float)):
            if not np.isnan(value):
                colour = "black" if value > middle else "white"
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7, color=colour)


def heat_map_figure(runs: pd.DataFrame, x: str, y: str, outcomes: list[str]) -> Figure:
    """A heat map of each outcome over two factors, a panel per outcome."""
    fig, axes = panel_grid(len(outcomes), width=4.6, height=3.8)
    for ax, outcome in zip(axes, outcomes, strict=True):
        draw_heat_map(ax, runs, x, y, outcome)
    fig.tight_layout()
    return fig


def sobol_figure(table: pd.DataFrame) -> Figure:
    """Sobol' indices, a panel per outcome: first-order (S1) and total (ST) for each factor, with their
    confidence intervals. A panel says so when its outcome did not vary."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = panel_grid(len(outcomes), width=5.0, height=0.45 * table["factor"].nunique() + 1.6)
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = table[table["outcome"] == outcome]
        y = np.arange(len(rows))
        ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], color=FIRST_ORDER, label="first order S1")
        ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], color=TOTAL, label="total ST")
        ax.set_yticks(y, rows["factor"], fontsize=8)
        ax.invert_yaxis()
        ax.set(title=outcome, xlabel="share of variance", xlim=(min(0.0, ax.get_xlim()[0]), None))
        ax.axvline(0, color="black", lw=0.6)
        ax.grid(axis="x", alpha=0.3)
        if rows["ST"].isna().all():
            ax.text(0.5, 0.5, "no variation in this outcome", transform=ax.transAxes, ha="center", va="center")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def morris_figure(table: pd.DataFrame) -> Figure:
    """Morris screening, a panel per outcome: each factor's mean absolute elementary effect (mu*, with its
    confidence interval) against their spread (sigma: interactions and non-linearity)."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = panel_grid(len(outcomes), width=4.6, height=3.8)
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = table[table["outcome"] == outcome]
        ax.errorbar(rows["mu_star"], rows["sigma"], xerr=rows["mu_star_conf"], fmt="o", color=TOTAL, ms=4, lw=1)
        for factor, x, y in zip(rows["factor"], rows["mu_star"], rows["sigma"], strict=True):
            ax.annotate(factor, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
        ax.set(title=outcome, xlabel="mu* (mean |elementary effect|)", ylabel="sigma")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def save_sweep_figures(runs: pd.DataFrame, plan: SweepPlan, folder: Path) -> list[Path]:
    """Draw a sweep's runs that finished into `folder`: effects.png (every outcome against every factor)
    and, with two factors or more, heatmaps.png (each outcome over the heat-map factors)."""
    finished = runs[runs["error"] == ""]
    if finished.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    outcomes = plan.spec.outcomes
    saved = [save_figure(effects_figure(finished, plan.factors, outcomes), folder / "effects.png")]
    if len(plan.factors) >= 2:
        x, y = plan.spec.heatmap or plan.factors[:2]
        saved.append(save_figure(heat_map_figure(finished, x, y, outcomes), folder / "heatmaps.png"))
    return saved
