"""Figure of an optimisation: every plan tried (scaled pilots against cost, coloured by engagement), the
Pareto front re-scored on fresh replicates, the single interventions and the budget."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from sim.experiments.optimise import Optimisation
from sim.experiments.studies import completed
from sim.files import save_figure


def save_front_figure(result: Optimisation, folder: Path) -> Path:
    """figures/front.png."""
    folder.mkdir(parents=True, exist_ok=True)
    trials = completed(result.study)
    fig, ax = plt.subplots(figsize=(8, 5))
    feasible = [t for t in trials if t.user_attrs["over_budget"] <= 0]
    over = [t for t in trials if t.user_attrs["over_budget"] > 0]
    if over:
        ax.scatter(
            [t.values[1] for t in over],
            [t.values[0] for t in over],
            s=8,
            color="#d9d9d9",
            label="over budget (search replicates)",
        )
    if feasible:
        points = ax.scatter(
            [t.values[1] for t in feasible],
            [t.values[0] for t in feasible],
            s=10,
            c=[t.values[2] for t in feasible],
            cmap="viridis",
            alpha=0.6,
            label="within budget (search replicates)",
        )
        fig.colorbar(points, ax=ax, label="engaged adopters (share, search replicates)")
    front = sorted(result.front, key=lambda o: o.cost)
    ax.plot(
        [o.cost for o in front],
        [o.fresh.mean("pilots_scaled") for o in front],
        "o",
        color="#d94801",
        mfc="none",
        ms=8,
        label="Pareto front (three objectives), fresh replicates",
    )
    best = result.best()
    if best is not None:
        ax.annotate(
            best.name,
            (best.cost, best.fresh.mean("pilots_scaled")),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=8,
            color="#d94801",
        )
    for single in result.singles:
        ax.scatter([single.cost], [single.fresh.mean("pilots_scaled")], marker="s", s=36, color="#2171b5", zorder=3)
        ax.annotate(
            single.name,
            (single.cost, single.fresh.mean("pilots_scaled")),
            xytext=(5, -10),
            textcoords="offset points",
            fontsize=7,
            color="#2171b5",
        )
    ax.axhline(result.base.mean("pilots_scaled"), color="#737373", lw=0.8, ls=":", label="base case, fresh replicates")
    ax.axvline(result.problem.budget, color="black", lw=1, ls="--", label="budget")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1e6:g}M" if abs(x) >= 1e6 else f"{x / 1e3:g}k" if x else "0")
    ax.set_xlabel("cost of the plan")
    ax.set_ylabel("pilots scaled (mean over replicates)")
    ax.set_title(f"{result.problem.spec.name}: plans within a budget of {result.problem.budget:,.0f}", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = folder / "front.png"
    return save_figure(fig, path, dpi=100)
