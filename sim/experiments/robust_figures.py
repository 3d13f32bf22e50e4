"""Figure of a robust comparison: each option's probability of being best overall, and within each third
(or listed value) of every uncertain input, so a ranking that changes across a range shows as crossing lines."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.experiments.compare_figures import ARM_COLOURS, BASE_COLOUR
from sim.experiments.robust import Robustness
from sim.files import save_figure

PANEL_COLUMNS = 3


def option_colours(options: list[str]) -> dict[str, str]:
    """The base in grey, the arms in the comparison figures' colours."""
    return {o: BASE_COLOUR if i == 0 else ARM_COLOURS[(i - 1) % len(ARM_COLOURS)] for i, o in enumerate(options)}


def save_robust_figure(rob: Robustness, folder: Path) -> Path:
    """figures/robustness.png: P(best) overall, then by group of each uncertain input."""
    folder.mkdir(parents=True, exist_ok=True)
    colours = option_colours(rob.options)
    panels = 1 + len(rob.inputs)
    columns = min(PANEL_COLUMNS, panels)
    rows = math.ceil(panels / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows), squeeze=False)
    flat = axes.ravel()
    table = rob.table()
    ax = flat[0]
    ax.barh(range(len(rob.options)), table.p_best, color=[colours[o] for o in rob.options])
    ax.set_yticks(range(len(rob.options)), rob.options, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of being best")
    ax.set_title("across all worlds", fontsize=10)
    by_group = rob.by_group()
    for ax, inp in zip(flat[1:], rob.inputs, strict=False):
        part = by_group[by_group.input == inp.path]
        groups = list(dict.fromkeys(part.group))
        for option in rob.options:
            shares = part[part.option == option].p_best.to_numpy()
            ax.plot(np.arange(len(groups)), shares, marker="o", color=colours[option], label=option)
        ax.set_xticks(range(len(groups)), [g.split(" (")[0] for g in groups], fontsize=8)
        ax.set_ylim(-0.03, 1.03)
        ax.set_ylabel("probability of being best")
        ax.set_title(f"by {inp.path}\n({inp.describe()})", fontsize=9)
    for ax in flat[panels:]:
        ax.axis("off")
    handles, labels = flat[1].get_legend_handles_labels() if panels > 1 else ([], [])
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(f"Which option is best, across the uncertain inputs ({rob.metric})", fontsize=11)
    fig.tight_layout(rect=(0, 0.08 if handles else 0, 1, 0.95))
    path = folder / "robustness.png"
    return save_figure(fig, path, dpi=110)
