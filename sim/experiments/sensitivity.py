"""Sensitivity analysis of a sweep: Sobol' indices or Morris screening from SALib, with confidence intervals.

The sweep's design decides the method: a `sobol` design gives first-order (S1) and total (ST) Sobol'
indices, and second-order ones (S2) when it was drawn with `second_order`; a `morris` design gives mu,
mu* and sigma of the elementary effects. Intervals are SALib's bootstrap intervals at 95%. Every run must
have finished. With replicates, a design point's outcome is the mean over its replicates: the model is
stochastic, and averaging lowers the noise that would otherwise show up as spurious total effects.

The same functions (`indices`, `write_indices`) serve a sweep and any other sampled function, which is how
the test checks them against the Ishigami function's analytic indices.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis

from sim.errors import InputError
from sim.experiments.design import Morris, Sobol, SweepPlan, problem
from sim.experiments.figures import morris_figure, sobol_figure
from sim.experiments.sweep import RUNS_FILE, plan_from_record
from sim.files import atomic_write, save_figure
from sim.output import FLOAT_FORMAT

CONFIDENCE = 0.95
RESAMPLES = 1000
"""Bootstrap resamples behind each confidence interval."""
SOBOL_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("mu", "mu_star", "mu_star_conf", "sigma")


@dataclass(frozen=True)
class Indices:
    """Sensitivity indices of one or more outcomes: the method ("sobol" or "morris"), a row per outcome and
    factor, and for Sobol' designs with second order a row per outcome and pair of factors."""

    method: str
    table: pd.DataFrame
    second_order: pd.DataFrame | None = None


def indices(
    design: Sobol | Morris, problem: dict, samples: np.ndarray, outcomes: dict[str, np.ndarray], seed: int
) -> Indices:
    """The indices of each outcome (values in design-point order, as `samples` was drawn)."""
    if isinstance(design, Morris):
        rows = [morris_indices(design, problem, samples, y, seed).assign(outcome=name) for name, y in outcomes.items()]
        return Indices("morris", tidy(rows, MORRIS_COLUMNS))
    pairs = [sobol_indices(design, problem, y, seed) for y in outcomes.values()]
    first = tidy([p[0].assign(outcome=name) for name, p in zip(outcomes, pairs, strict=True)], SOBOL_COLUMNS)
    if not design.second_order:
        return Indices("sobol", first)
    second = pd.concat([p[1].assign(outcome=name) for name, p in zip(outcomes, pairs, strict=True)], ignore_index=True)
    return Indices("sobol", first, second[["outcome", "factor_1", "factor_2", "S2", "S2_conf"]])


def tidy(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    """One table, outcome and factor first."""
    return pd.concat(frames, ignore_index=True)[["outcome", "factor", *columns]]


def sobol_indices(design: Sobol, problem: dict, y: np.ndarray, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First-order and total indices per factor, and second-order indices per pair (empty without second
    order). An outcome that never varies has no variance to apportion: its indices are empty. SALib's warning
    that some subsets of runs gave identical values is silenced: with few events (pilots scaled in a small
    firm) that is expected, and the intervals show the resulting uncertainty."""
    names = problem["names"]
    if np.ptp(y) > 0:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Constant values encountered")
            result = sobol_analysis.analyze(
                problem,
                y,
                calc_second_order=design.second_order,
                num_resamples=RESAMPLES,
                conf_level=CONFIDENCE,
                seed=seed,
            )
    else:
        nothing = np.full(len(names), np.nan)
        result = {**dict.fromkeys(SOBOL_COLUMNS, nothing), **dict.fromkeys(("S2", "S2_conf"), np.diag(nothing))}
    first = pd.DataFrame({"factor": names, **{column: result[column] for column in SOBOL_COLUMNS}})
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))] if design.second_order else []
    second = pd.DataFrame(
        {
            "factor_1": [names[i] for i, _ in pairs],
            "factor_2": [names[j] for _, j in pairs],
            "S2": [result["S2"][i, j] for i, j in pairs],
            "S2_conf": [result["S2_conf"][i, j] for i, j in pairs],
        }
    )
    return first, second


def morris_indices(design: Morris, problem: dict, samples: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """mu, mu* (with its interval) and sigma of each factor's elementary effects, per unit of the factor's
    range scaled to [0, 1]."""
    result = morris_analysis.analyze(
        problem,
        samples,
        y,
        num_resamples=RESAMPLES,
        conf_level=CONFIDENCE,
        num_levels=design.levels,
        seed=seed,
    )
    return pd.DataFrame({"factor": problem["names"], **{column: result[column] for column in MORRIS_COLUMNS}})


def write_indices(folder: Path, result: Indices) -> list[Path]:
    """Write `<method>.csv` (and sobol_second_order.csv) into `folder` and draw figures/<method>.png."""
    tables = {f"{result.method}.csv": result.table}
    if result.second_order is not None:
        tables["sobol_second_order.csv"] = result.second_order
    written = []
    for name, table in tables.items():
        path = folder / name
        atomic_write(path, lambda p, t=table: t.to_csv(p, index=False, float_format=FLOAT_FORMAT, lineterminator="\n"))
        written.append(path)
    draw = sobol_figure if result.method == "sobol" else morris_figure
    (folder / "figures").mkdir(exist_ok=True)
    written.append(save_figure(draw(result.table), folder / "figures" / f"{result.method}.png"))
    return written


def analyse_sweep(folder: Path, outcomes: list[str] | None = None) -> tuple[Indices, list[Path]]:
    """The indices of a finished sweep's outcomes (all it kept, or those named), written into its folder."""
    folder = Path(folder)
    plan = plan_from_record(folder)
    design = plan.spec.design
    if not isinstance(design, Sobol | Morris):
        raise InputError(
            f"{folder}: the sweep's design is {design.kind}; sensitivity indices need a sobol design "
            "(design: {kind: sobol, samples: 256}) or a morris design (design: {kind: morris, trajectories: 20})."
        )
    names = outcomes or plan.spec.outcomes
    unknown = [name for name in names if name not in plan.outcome_columns]
    if unknown:
        raise InputError(
            f"--outcome {unknown[0]}: the sweep kept no such outcome. Allowed: {', '.join(plan.outcome_columns)}."
        )
    runs = finished_runs_table(folder, plan)
    result = indices(design, problem(plan.spec), plan.samples, point_outcomes(runs, plan, names), plan.spec.seed)
    return result, write_indices(folder, result)


def finished_runs_table(folder: Path, plan: SweepPlan) -> pd.DataFrame:
    """A sweep's runs table, refused unless it holds every run and none failed."""
    path = folder / RUNS_FILE
    try:
        runs = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot read it ({exc}). Finish the sweep first: adoptsim sweep EXPERIMENT --out {folder}."
        ) from None
    if runs["run"].tolist() != [spec.index for spec in plan.runs]:
        raise InputError(f"{path}: holds {len(runs)} of the experiment's {len(plan.runs)} runs; run the sweep again.")
    failed = runs[runs["error"] != ""]
    if not failed.empty:
        first = failed.iloc[0]
        raise InputError(
            f"{path}: {len(failed)} runs failed (run {first['run']}, seed {first['seed']}: {first['error']}). "
            "Sensitivity indices need every run's outcome: fix the cause, delete those runs' parts and rerun."
        )
    return runs


def point_outcomes(runs: pd.DataFrame, plan: SweepPlan, outcomes: list[str]) -> dict[str, np.ndarray]:
    """Each outcome per design point, in design order: the mean over the point's replicates."""
    means = runs.groupby(runs["run"] // plan.spec.replicates)[outcomes].mean()
    return {name: means[name].to_numpy() for name in outcomes}
