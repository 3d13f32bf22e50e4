"""`adoptsim calibrate` (fit the free parameters to the published figures, resumable) and `adoptsim validate`
(the published figures beside the model's, with bands and breakdowns)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.cli.common import (
    ForceOption,
    QuietOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    available_cores,
    console,
    interruptible,
    user_errors,
)
from sim.experiments.identifiability import NEAR_OPTIMAL_FACTOR, short_name
from sim.experiments.validate import (
    DEFAULT_SCENARIO,
    Breakdowns,
    Validation,
    population_scenario,
    validate_population,
    write_validation,
)
from sim.output import claim_folder, clear_folder, default_output, held_kind, output_folder, output_path
from sim.resources import check_scenarios_fit
from sim.scenario import load_scenario

SeedOption = Annotated[int, typer.Option(help="Seed from which every replicate's seed is derived.", min=0)]
STAGE_HEADERS = {
    "firms": "firms",
    "stage_experimenting": "experim.",
    "stage_piloting": "piloting",
    "stage_scaling": "scaling",
    "stage_fully_scaled": "fully",
    "scaling_or_beyond": "scaling+",
}
BAND_HEADERS = {"revenue_band": "revenue band", **STAGE_HEADERS, "published_scaling_or_beyond": "published scaling+"}
INDUSTRY_HEADERS = {"industry": "industry", **STAGE_HEADERS}
EMPLOYEE_HEADERS = {
    "employee_share": "employees",
    "mean_usage": "usage",
    "regular_users": "regular users",
    "mean_engagement": "engagement",
    "engaged": "engaged",
}
ANXIETY_HEADERS = {"level": "anxiety", "anxiety_from": "from", "anxiety_to": "to", **EMPLOYEE_HEADERS}
THIRD_HEADERS = {"third": "employees by anxiety", **EMPLOYEE_HEADERS}
VANGUARD_HEADERS = {"group": "firms", "firms": "draws", "scaling_or_beyond": "scaling+", "fully_scaled": "fully"}
SOURCING_HEADERS = {"sourcing": "proofs of concept", "pocs": "count", "to_production": "reached production"}


if TYPE_CHECKING:  # Optuna (the calibrate extra) is imported only when calibrate runs; validate needs none
    from sim.experiments import calibrate as fitting


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    return Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True), transient=True)


def calibrate_command(
    scenario: Annotated[
        str, typer.Argument(help="A population scenario file, or a shipped name (such as population).")
    ],
    out: Annotated[
        str | None,
        typer.Option(
            help="Calibration folder (default: outputs/<scenario>-calibration). Run the same command again to resume. "
            "A folder holding anything but a calibration is refused (or, with --force, replaced)."
        ),
    ] = None,
    budget: Annotated[
        int, typer.Option(help="Trials (evaluations) to complete in all, counting earlier runs.", min=1)
    ] = 30,
    replicates: Annotated[int, typer.Option(help="Replicates per trial, the same seeds for every trial.", min=1)] = 3,
    firms: Annotated[
        int, typer.Option(help="Firms in the population while calibrating (few keep trials quick).", min=1, max=5000)
    ] = 40,
    finalists: Annotated[
        int,
        typer.Option(
            help="Best trials re-scored on 4 times as many fresh replicates; the fit is the best of them there.",
            min=1,
        ),
    ] = 10,
    elasticities: Annotated[
        bool,
        typer.Option(
            help="Also score each free parameter moved x0.8 and x1.25 from the fit: which target it moves, how far."
        ),
    ] = False,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Fit the free model parameters of a population scenario to the published adoption figures.

    Optuna's TPE sampler proposes values for the free parameters (listed in calibration.json). Each trial \
runs the population over the same replicates and scores the sum over targets of ((simulated mean - \
published) / band half-width)^2.

    Trials are journalled in OUT/study.journal: after an interruption (even kill -9) the same command \
resumes without running finished trials again, and a larger --budget continues a finished calibration.

    Writes calibration.json, fit.csv, trials.csv, identifiability.csv (each parameter's span over the \
near-optimal trials), fitted.yaml (a scenario that extends the input with the fitted values), figures/ and, \
with --elasticities, elasticities.csv."""
    from sim.experiments import calibrate as fitting

    with user_errors():
        base = load_scenario(scenario, overrides or [])
        settings = fitting.Settings(
            scenario, tuple(overrides or ()), firms, replicates, seed, budget, finalists, elasticities
        )
        folder = output_path(out, default_output(base.name, "-calibration"))
        cores = workers or available_cores()
        calibrated = fitting.calibration_scenario(base, firms, scenario)
        processes = min(cores, fitting.RESCORING_FACTOR * replicates)  # as fitting.calibrate starts them
        check_scenarios_fit([calibrated], processes, force, source=f"{scenario} (--firms {firms})")
        claim_folder(folder, "calibrate", force)
        if force and folder.is_dir() and held_kind(folder) != "calibrate":
            clear_folder(folder)
        if quiet:
            result = fitting.calibrate(settings, base, folder, workers=cores, scheduler=scheduler)
        else:
            with progress_bar("calibrating") as bar:
                result = fitting.calibrate(settings, base, folder, trial_progress(bar), cores, scheduler)
    if not quiet:
        print_calibration(result, folder)


def trial_progress(bar: Progress) -> fitting.TrialProgress:
    """Progress callbacks that move a bar and show the best objective so far."""
    from sim.experiments import calibrate as fitting

    task = bar.add_task("scoring the input's values", total=None)
    return fitting.TrialProgress(
        started=lambda done, budget: bar.update(task, completed=done, total=budget),
        trial=lambda done, best: bar.update(task, completed=done, description=f"trials, best objective {best:.3g}"),
        stage=lambda description: bar.update(task, description=description),
    )


def print_calibration(result: fitting.Calibration, folder: Path) -> None:
    """The objective before and after, and the fit per target."""
    from sim.experiments import calibrate as fitting

    table = Table(title="Fit per target", box=None)
    for column in ("target", "published", "band", "input's values", "fitted", "in band"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for row in fitting.fit_table(result).itertuples():
        table.add_row(
            row.name,
            f"{row.published:.2f}",
            f"{row.band_low:.2f}-{row.band_high:.2f}",
            f"{row.start_mean:.3f}",
            f"{row.fitted_mean:.3f}",
            "yes" if row.fitted_in_band else "[red]no[/red]",
        )
    console.print(table)
    console.print(identifiability_table(result))
    trials = result.trials_table()
    console.print(f"{fitting.summary_line(result)} {trials['seconds'].sum():.0f} s of simulation in trials.")
    console.print(f"Fitted scenario: {folder / 'fitted.yaml'}; report in {folder}/")


def identifiability_table(result: fitting.Calibration) -> Table:
    """Each free parameter's span over the near-optimal trials: narrow is pinned down, wide is left free."""

    ranges = result.near_optimal_ranges()
    title = (
        f"What the fit pins down: spans over the {ranges['near_optimal_trials'].iloc[0]} trials scoring within "
        f"{NEAR_OPTIMAL_FACTOR:g}x the fit in the search"
    )
    table = Table(title=title, box=None)
    for column in ("parameter", "searched", "near-optimal", "share of range", "fitted"):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for row in ranges.itertuples():
        table.add_row(
            short_name(row.parameter),
            f"{row.search_low:.3g}-{row.search_high:.3g}",
            f"{row.near_optimal_low:.3g}-{row.near_optimal_high:.3g}",
            f"{row.share_of_range:.0%}",
            f"{row.fitted:.3g}",
        )
    return table


def validate_command(
    scenario: Annotated[
        str, typer.Argument(help="A population scenario file or shipped name (default: the fitted population).")
    ] = DEFAULT_SCENARIO,
    out: Annotated[
        str | None,
        typer.Option(
            help="Output folder (default: outputs/<scenario>-validation). An existing folder is replaced only if "
            "it holds an earlier validation's output (or with --force)."
        ),
    ] = None,
    replicates: Annotated[int, typer.Option(help="Replicates (at least 2, for the 95% intervals).", min=2)] = 10,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Run a population over replicates and compare its survey answers with the published figures.

    Prints, for every published figure (docs/ODD.md section 7.24), the published value, the simulated mean \
with its 95% interval across replicates, the tolerance band and whether the mean lies inside.

    Writes validation.json (the targets, the survey mapping's definitions, the bands' arguments, and \
breakdowns: stages by revenue band, by industry and for the vanguard, employees' usage and engagement by \
anxiety level and by third, proofs of concept of bought tools and builds), \
CSV tables and figures/. Replicate seeds come from a stream the calibration never uses. The exit code is \
0 whether or not every target is inside its band."""
    with user_errors():
        spec = population_scenario(load_scenario(scenario, overrides or []), scenario)
        folder = output_path(out, default_output(spec.name, "-validation"))
        cores = workers or available_cores()
        check_scenarios_fit([spec], cores, force, source=scenario)
        with (
            interruptible(f"nothing was written to {folder}."),
            output_folder(folder, "validate", force) as staging,
        ):
            validation = run_validation(spec, replicates, seed, cores, scheduler, show=not quiet)
            tables = write_validation(validation, staging, " ".join(sys.argv))
    if not quiet:
        print_validation(validation, tables, folder)


def run_validation(
    spec, replicates: int, seed: int, workers: int, scheduler: str | None, show: bool
) -> Validation:
    """Run the replicates, with a progress bar unless asked to be quiet."""
    if not show:
        return validate_population(spec, replicates, seed, workers=workers, scheduler=scheduler)
    with progress_bar("validating") as bar:
        task = bar.add_task("replicates", total=replicates)
        return validate_population(spec, replicates, seed, lambda: bar.advance(task), workers, scheduler)


def print_validation(validation: Validation, tables: Breakdowns, folder: Path) -> None:
    """The targets table, then the stages by revenue band and employees by anxiety level."""
    population = validation.scenario.population
    table = Table(
        title=f"{validation.scenario.name}: {population.firms} firms, {len(validation.replicates)} replicates",
        box=None,
    )
    for column in ("target", "published", "mean", "95% interval", "band", "in band"):
        table.add_column(column, justify="left" if column == "target" else "right", no_wrap=column == "target")
    for row in validation.rows:
        table.add_row(
            row["label"],
            f"{row['published']:.2f}",
            f"{row['simulated_mean']:.3f}",
            f"{row['ci95'][0]:.2f}-{row['ci95'][1]:.2f}",
            f"{row['band'][0]:.2f}-{row['band'][1]:.2f}",
            "yes" if row["in_band"] else "[red]no[/red]",
        )
    console.print(table)
    title = (
        "Stages by revenue band, firms pooled over replicates (scaling+: scaling or fully scaled; the smallest "
        "and largest bands are targets)"
    )
    console.print(frame_table(title, tables.by_revenue_band, BAND_HEADERS))
    console.print(frame_table("Stages by industry, firms pooled over replicates", tables.by_industry, INDUSTRY_HEADERS))
    console.print(frame_table("Employees by anxiety level, pooled over replicates", tables.by_anxiety, ANXIETY_HEADERS))
    console.print(
        frame_table(
            "Employees by third of anxiety (published: the most anxious use AI at least as much, engage less)",
            tables.by_anxiety_third,
            THIRD_HEADERS,
        )
    )
    console.print(
        frame_table(
            "The vanguard: top fifth on all three foundations (seed article: 44% against 17% use AI extensively)",
            tables.vanguard,
            VANGUARD_HEADERS,
        )
    )
    console.print(
        frame_table(
            "Bought tools and builds (MIT NANDA 2025: deployment about 67% against 33%)",
            tables.sourcing,
            SOURCING_HEADERS,
        )
    )
    inside = sum(row["in_band"] for row in validation.rows)
    console.print(f"{inside} of {len(validation.rows)} targets inside their bands. Results in {folder}/")


def frame_table(title: str, frame: pd.DataFrame, headers: dict[str, str]) -> Table:
    """Some columns of a small data frame as a rich table, under short headers, numbers to two decimals."""
    table = Table(title=title, box=None)
    for column, header in headers.items():
        table.add_column(header, justify="right", no_wrap=column == next(iter(headers)))
    for record in frame[list(headers)].itertuples(index=False):
        table.add_row(*(cell(v) for v in record))
    return table


def cell(value) -> str:
    """A table cell: numbers to two decimals, nothing for a missing value."""
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)
