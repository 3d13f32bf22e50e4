"""The calibration targets (DESIGN.md section 5) with their tolerance bands, and how a scenario is scored
against them over replicates. Shared by `adoptsim calibrate` and `adoptsim validate`.

Each band is the published value plus or minus a half-width argued from the survey's own uncertainty:
the 95% sampling error of the published share, plus an allowance for what sampling error does not cover
(one respondent answering for a whole organisation, loose definitions, the respondents' mix). The
arguments are kept beside the numbers (`Target.argument`) and in docs/ODD.md section 7.24.2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from sim.experiments.execution import map_tasks, run_seed
from sim.run import run
from sim.schema import Scenario
from sim.survey import population_rates, survey_frame

CONFIDENCE = 0.95
CALIBRATION_STREAM = 1
VALIDATION_STREAM = 2
RESCORING_STREAM = 3
"""Calibration trials, the re-scoring of its finalists and validation draw their replicates' seeds from
different streams, so a validation with the same --seed checks the fit on replicates the optimiser never saw."""


@dataclass(frozen=True)
class Target:
    """One published figure: its survey question, value and source, and the band a simulated mean must fall in."""

    name: str
    label: str
    published: float
    band: tuple[float, float]
    source: str
    argument: str
    ratio: bool = False
    """A ratio of two means (plotted on its own axis), not a share of firms or of proofs of concept."""

    @property
    def half_width(self) -> float:
        """Half the band's width: the unit in which a miss is measured."""
        return (self.band[1] - self.band[0]) / 2


MCKINSEY = "McKinsey, The state of AI in 2025 (n = 1,993)"
STAGE_ARGUMENT = (
    "sampling error ±0.02 (n = 1,993); one respondent places the whole organisation on a four-step scale with "
    "no stated thresholds, so neighbouring stages overlap: allowance ±0.06"
)

TARGETS: tuple[Target, ...] = (
    Target(
        "regular_use",
        "regular use in ≥ 1 function",
        0.88,
        (0.82, 0.94),
        MCKINSEY,
        "sampling error ±0.014; 'regularly' and 'use' are left to the respondent, and the same survey gave 78% a "
        "year earlier, so the figure moves fast with the date of the field work: allowance ±0.045",
    ),
    Target(
        "stage_experimenting",
        "stage: experimenting",
        0.32,
        (0.24, 0.40),
        f"{MCKINSEY}, exhibit 1",
        STAGE_ARGUMENT,
    ),
    Target("stage_piloting", "stage: piloting", 0.30, (0.22, 0.38), f"{MCKINSEY}, exhibit 1", STAGE_ARGUMENT),
    Target("stage_scaling", "stage: scaling", 0.31, (0.23, 0.39), f"{MCKINSEY}, exhibit 1", STAGE_ARGUMENT),
    Target(
        "stage_fully_scaled",
        "stage: fully scaled",
        0.07,
        (0.02, 0.12),
        f"{MCKINSEY}, exhibit 1",
        "sampling error ±0.011; the most demanding label, the one self-report most inflates, and a small share "
        "where a few respondents' reading of 'fully' moves it by a large part of itself: allowance ±0.04",
    ),
    Target(
        "ebit_impact",
        "any EBIT impact from AI",
        0.39,
        (0.31, 0.47),
        MCKINSEY,
        "sampling error ±0.021; 'any' impact, attributed to AI by the respondent (most report under 5% of EBIT), "
        "with no accounting definition: allowance ±0.06",
    ),
    Target(
        "poc_to_production",
        "POCs reaching production",
        0.12,
        (0.06, 0.18),
        "IDC for Lenovo, CIO Playbook 2025 (4 of 33)",
        "a ratio of averages over CIOs' estimates, not a count of projects; 'production' and the time allowed are "
        "undefined; other surveys of the same year range from about 5% to 20%: ±0.06, half the value",
    ),
    Target(
        "poc_scrapped",
        "POCs scrapped",
        0.46,
        (0.36, 0.56),
        "S&P Global, Voice of the Enterprise 2025",
        "sampling error about ±0.02 (an average over about 1,000 organisations' own estimates); 'scrapped' and "
        "'proof of concept' are the respondents' own, and the same survey's share of firms abandoning most "
        "initiatives more than doubled in a year: allowance ±0.08",
    ),
    Target(
        "scaling_under_100m",
        "under $100M: scaling or beyond",
        0.29,
        (0.19, 0.39),
        f"{MCKINSEY}, by revenue",
        "sampling error about ±0.05 (a few hundred respondents in the band); a self-placed stage, as above, and the "
        "band's firms are the most varied in what 'across the enterprise' means: allowance ±0.05",
    ),
    Target(
        "scaling_over_5b",
        "over $5B: scaling or beyond",
        0.48,
        (0.38, 0.58),
        f"{MCKINSEY}, by revenue ('nearly half')",
        "published in words ('nearly half'; 48% in secondary reports); sampling error about ±0.05 (a few hundred "
        "respondents in the band) and the stage allowance: ±0.10",
    ),
    Target(
        "anxious_usage_ratio",
        "usage, most over least anxious",
        1.55,
        (1.0, 2.1),
        "Fractional Insights and Ferrazzi Greenlight, US and European employees, HBR (February 2026)",
        "highly anxious employees use AI for 65% of their work, those with low anxiety for 42% (1.55); known from "
        "secondary reports only, with no sample size, scale or cut points, and a share of one's work is not the "
        "model's usage level, nor are the survey's groups thirds: the band keeps the direction the seed states "
        "(the anxious use AI at least as much as the calm: lower edge 1.0) and allows as much above",
        ratio=True,
    ),
    Target(
        "anxious_engagement_ratio",
        "engagement, most over least anxious",
        0.55,
        (0.1, 1.0),
        "the seed article, after the same research: anxious use is 'self-protective compliance rather than genuine "
        "engagement'",
        "a direction, not a figure: no engagement measure is published (the same research reports resistance to "
        "AI of 4.6 against 2.1 on a five-point scale among the most and least anxious). The band takes any "
        "ratio clearly below parity (upper edge 1.0) and above near-zero engagement among the anxious (0.1)",
        ratio=True,
    ),
)


def replicate_seeds(seed: int, replicates: int, stream: int) -> list[int]:
    """The seed of each replicate: independent streams derived from (stream, seed, replicate), so replicates
    are the same whatever order they run in, and calibration and validation never share one."""
    return [run_seed(seed, replicate, stream) for replicate in range(replicates)]


@dataclass
class Replicate:
    """One run of a population as the surveys would see it: each firm's answers, the population's rates,
    and, where asked for, every employee's end state (anxiety, usage, engagement, and the employees the agent
    stands for) for the employee breakdowns."""

    seed: int
    firms: pd.DataFrame
    rates: dict[str, float]
    employees: pd.DataFrame | None


def run_replicate(scenario: Scenario, seed: int, employees: bool) -> Replicate:
    """Run the scenario once and read the survey answers (and the employees' end states) off the final state."""
    model = run(scenario, seed).model
    frame = survey_frame(model)
    w = model.workforce
    stands_for = model.organisation.team_represents[w.team]
    states = (
        pd.DataFrame({"anxiety": w.anxiety, "usage": w.usage, "engagement": w.engagement, "weight": stands_for})
        if employees
        else None
    )
    return Replicate(seed, frame, population_rates(model, frame), states)


def run_replicates(
    scenario: Scenario,
    seeds: list[int],
    on_replicate: Callable[[], None] | None = None,
    pool: Executor | None = None,
    employees: bool = True,
) -> list[Replicate]:
    """Run the scenario once per seed, here or in `pool`; `on_replicate()` is called as each finishes. The
    replicates come back in seed order, so what follows does not depend on the number of workers. Without
    `employees`, replicates carry the firms' answers only (all a calibration trial needs)."""
    progress = (lambda index, replicate: on_replicate()) if on_replicate is not None else None
    return map_tasks(run_replicate, [(scenario, seed, employees) for seed in seeds], on_result=progress, pool=pool)


def rates_table(replicates: list[Replicate]) -> pd.DataFrame:
    """One row per replicate, one column per target."""
    return pd.DataFrame([r.rates for r in replicates])[[t.name for t in TARGETS]]


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """The mean and its t-interval at CONFIDENCE across replicates (a point with one replicate or no spread),
    never below 0 since every target is a share or a ratio of means; replicates without an answer (a revenue
    band with no firm) are left out."""
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(np.mean(values))
    spread = float(np.std(values, ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1)) * spread if spread > 0 else 0.0
    return mean, max(mean - half, 0.0), mean + half


def target_rows(rates: pd.DataFrame) -> list[dict]:
    """Per target: published value, simulated mean with its 95% interval, band, whether the mean is inside
    it, and the miss in half-widths (z: 0 on the published value, ±1 at the band's edges)."""
    rows = []
    for target in TARGETS:
        mean, low, high = mean_interval(rates[target.name].to_numpy())
        high = high if target.ratio else min(high, 1.0)
        rows.append(
            {
                "name": target.name,
                "label": target.label,
                "published": target.published,
                "simulated_mean": mean,
                "ci95": [low, high],
                "band": list(target.band),
                "in_band": bool(target.band[0] <= mean <= target.band[1]),
                "z": (mean - target.published) / target.half_width,
                "source": target.source,
            }
        )
    return rows


OBJECTIVE_DEFINITION = "sum over targets of ((simulated mean - published) / band half-width) ** 2"


def objective(rates: pd.DataFrame) -> float:
    """The calibration loss: the sum over targets of the squared miss of the replicate mean, in band
    half-widths. A fit with every target inside its band scores at most the number of targets. A target no
    replicate answers (a revenue band with no firm in a small population) is left out: which firms are drawn
    does not depend on the free parameters, so it is left out of every trial alike."""
    return float(sum(row["z"] ** 2 for row in target_rows(rates) if not math.isnan(row["z"])))


def bands_argument() -> list[dict]:
    """The targets as data: published value, source, band and the argument for it."""
    return [
        {
            "name": t.name,
            "label": t.label,
            "published": t.published,
            "band": list(t.band),
            "source": t.source,
            "argument": t.argument,
        }
        for t in TARGETS
    ]


SERIES_COLOURS = ("#2171b5", "#bdbdbd", "#e6550d")
BAND_COLOUR = "#c7e9c0"


def targets_figure(series: dict[str, list[dict]], title: str = "Published figures and the model") -> Figure:
    """Each target's band (shaded), published value (black tick), and for each series of target rows the
    simulated mean with its 95% interval across replicates; shares on one axis, ratios of means on another."""
    groups = [(False, "share"), (True, "ratio of means")]
    counts = [sum(t.ratio == ratio for t in TARGETS) for ratio, _ in groups]
    fig, axes = plt.subplots(
        2, 1, figsize=(8, 0.55 * len(TARGETS) + 2.4), gridspec_kw={"height_ratios": [max(c, 1) for c in counts]}
    )
    offsets = np.linspace(-0.15, 0.15, len(series)) if len(series) > 1 else [0.0]
    for ax, (ratio, unit) in zip(axes, groups, strict=True):
        chosen = [i for i, t in enumerate(TARGETS) if t.ratio == ratio]
        y = np.arange(len(chosen))[::-1]
        for row, i in zip(y, chosen, strict=True):
            target = TARGETS[i]
            ax.barh(row, target.band[1] - target.band[0], left=target.band[0], height=0.6, color=BAND_COLOUR, lw=0)
            ax.plot([target.published] * 2, [row - 0.3, row + 0.3], color="black", lw=2)
        for (name, rows), offset, colour in zip(series.items(), offsets, SERIES_COLOURS, strict=False):
            means = np.array([rows[i]["simulated_mean"] for i in chosen])
            intervals = np.array([rows[i]["ci95"] for i in chosen]).T.reshape(2, -1)
            ax.errorbar(
                means,
                y + offset,
                xerr=[means - intervals[0], intervals[1] - means],
                fmt="o",
                ms=5,
                capsize=3,
                color=colour,
                label=f"{name}: mean and 95% interval",
            )
        ax.set_yticks(y, [TARGETS[i].label for i in chosen], fontsize=8)
        ax.set(xlim=(0, 1) if not ratio else (0, 2.5), xlabel=unit)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_title(title)
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [Patch(color=BAND_COLOUR), Line2D([], [], color="black", lw=2)]
    labels += ["tolerance band", "published"]
    axes[-1].legend(
        handles, labels, fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=2
    )
    fig.tight_layout()
    return fig
