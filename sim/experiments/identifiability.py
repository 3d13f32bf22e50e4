"""What a calibration pins down and what it leaves free.

Two views, both written by `adoptsim calibrate`:
- near-optimal ranges: over the trials whose objective in the search is within NEAR_OPTIMAL_FACTOR of the
  chosen fit's, how much of its search range each free parameter still spans, and which parameters trade off
  against each other (rank correlations among those trials). A parameter spanning most of its range is not
  pinned by the targets.
- local elasticities (with --elasticities): each free parameter moved ELASTICITY_STEP up and down from the fit,
  on the re-scoring replicates, and the resulting change of every target's mean in band half-widths. A row of
  near-zeros is a parameter no target sees; two proportional rows are parameters the targets cannot separate.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.targets import TARGETS

if TYPE_CHECKING:
    from sim.experiments.calibrate import FreeParameter

NEAR_OPTIMAL_FACTOR = 2.0
"""Trials whose objective in the search is within this factor of the chosen fit's count as near-optimal: the
search's objectives are noisy (a handful of replicates), so such a trial is not reliably worse than the fit."""
ELASTICITY_STEP = 1.25
"""Local elasticities move a parameter to its value times this factor and divided by it (kept in range)."""
CORRELATIONS_SHOWN = 6


def short_name(path: str) -> str:
    """A free parameter's path without the `params.` and block prefixes that every one shares."""
    return path.removeprefix("params.").removeprefix("pilots.")


def near_optimal(trials: pd.DataFrame, reference: float) -> pd.DataFrame:
    """The trials whose objective is at most NEAR_OPTIMAL_FACTOR times `reference` (the fit's, in the search)."""
    return trials[trials["objective"] <= NEAR_OPTIMAL_FACTOR * reference]


def range_share(low: float, high: float, parameter: FreeParameter) -> float:
    """The share of a parameter's search range that [low, high] covers, on the scale it was searched on."""
    scale = math.log if parameter.log else float
    return (scale(high) - scale(low)) / (scale(parameter.high) - scale(parameter.low))


def near_optimal_ranges(
    trials: pd.DataFrame, fitted: dict[str, float], reference: float, parameters: tuple[FreeParameter, ...]
) -> pd.DataFrame:
    """Per free parameter: its search range, the range its near-optimal trials span, the share of the search
    range that is, and the fitted value."""
    near = near_optimal(trials, reference)
    rows = []
    for parameter in parameters:
        low, high = float(near[parameter.path].min()), float(near[parameter.path].max())
        rows.append(
            {
                "parameter": parameter.path,
                "search_low": parameter.low,
                "search_high": parameter.high,
                "near_optimal_low": low,
                "near_optimal_high": high,
                "share_of_range": range_share(low, high, parameter),
                "fitted": fitted[parameter.path],
                "near_optimal_trials": len(near),
            }
        )
    return pd.DataFrame(rows)


def near_optimal_correlations(
    trials: pd.DataFrame, reference: float, parameters: tuple[FreeParameter, ...]
) -> list[dict]:
    """The strongest rank correlations between free parameters across the near-optimal trials (none when
    there are too few of them to tell): the trade-offs along which the fit is a ridge, not a point."""
    near = near_optimal(trials, reference)
    if len(near) < 5:
        return []
    paths = [p.path for p in parameters]
    rho = near[paths].corr(method="spearman")
    pairs = [
        {"a": a, "b": b, "spearman": float(rho.loc[a, b])}
        for i, a in enumerate(paths)
        for b in paths[i + 1 :]
        if np.isfinite(rho.loc[a, b])
    ]
    return sorted(pairs, key=lambda pair: -abs(pair["spearman"]))[:CORRELATIONS_SHOWN]


def nudged(values: dict[str, float], parameter: FreeParameter, factor: float) -> dict[str, float]:
    """The values with one parameter multiplied by `factor`, rounded if it is an integer, kept in its range."""
    value = values[parameter.path] * factor
    value = round(value) if parameter.integer else value
    return values | {parameter.path: min(max(value, parameter.low), parameter.high)}


def elasticity_table(moves: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """One row per free parameter (from its rates moved down and up), one column per target: the change of
    the target's replicate mean from the lower to the higher value, in band half-widths."""
    rows = {}
    for path, (down, up) in moves.items():
        rows[path] = {t.name: (up[t.name].mean() - down[t.name].mean()) / t.half_width for t in TARGETS}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter").reset_index()


def elasticities_figure(table: pd.DataFrame) -> Figure:
    """The elasticity table as a heat map: which target each parameter moves, and how far."""
    values = table[[t.name for t in TARGETS]].to_numpy()
    limit = max(float(np.abs(values).max()), 0.5)
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(table) + 2))
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        ink = "white" if abs(value) > 0.6 * limit else "black"
        ax.text(column, row, f"{value:+.2f}", ha="center", va="center", fontsize=7, color=ink)
    ax.set_xticks(range(len(TARGETS)), [t.label for t in TARGETS], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(table)), [short_name(p) for p in table["parameter"]], fontsize=8)
    step = f"x{1 / ELASTICITY_STEP:g} to x{ELASTICITY_STEP:g}"
    ax.set_title(f"Local elasticities at the fit: change of each target's mean ({step}), in band half-widths")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig
