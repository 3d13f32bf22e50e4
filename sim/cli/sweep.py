"""`adoptsim sweep` (every run of an experiment file, resumable, locally or on a Dask cluster) and
`adoptsim sensitivity` (Sobol' or Morris indices of a sweep)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.cli.common import (
    ForceOption,
    QuietOption,
    SchedulerOption,
    SetOption,
    WorkersOption,
    available_cores,
    console,
    user_errors,
)
from sim.errors import InputError
from sim.experiments.design import SweepPlan, load_experiment
from sim.experiments.figures import save_sweep_figures
from sim.experiments.sensitivity import analyse_sweep
from sim.experiments.sweep import PARTS, RUNS_FILE, Sweep, SweepIncomplete, Tally, holds_experiment, run_sweep
from sim.output import claim_folder, clear_folder, default_output, output_path
from sim.resources import check_scenarios_fit

ExperimentArg = Annotated[
    Path,
    typer.Argument(
        help="An experiment file (YAML): a base scenario, factors, a design, replicates, a seed and outcomes "
        "(shipped: scenarios/experiments/)."
    ),
]
OutOption = Annotated[
    str | None,
    typer.Option(
        help="The sweep folder (default: outputs/<experiment name>). Run the same command again to resume into it. "
        "A folder holding anything but this sweep is refused (or, with --force, replaced)."
    ),
]


def sweep_command(
    experiment: ExperimentArg,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Run every run of an experiment and write runs.parquet (a row per run: run, the factors, replicate,
    seed, the outcomes, error), figures/ and experiment.json into the sweep folder.

    Each run is saved as it finishes (parts/), so after an interruption the same command runs only what is
    missing. A run that fails is recorded with its error and seed. --set overrides a base scenario field.
    Example: adoptsim sweep scenarios/experiments/foundations.yaml --out outputs/foundations --workers 2"""
    with user_errors():
        folder, tally = sweep_and_draw(experiment, out, workers, scheduler, overrides, quiet, force)
    if not quiet:
        print_sweep(tally, folder)


def sensitivity_command(
    source: Annotated[
        Path,
        typer.Argument(
            help="A sweep folder (written by adoptsim sweep), or an experiment file to sweep first into --out."
        ),
    ],
    outcome: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="An outcome to analyse (repeatable; default: every outcome the sweep kept)."),
    ] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Sensitivity indices with 95% confidence intervals from SALib: Sobol' (S1, ST; S2 with second_order)
    for a sobol design, Morris (mu, mu*, sigma) for a morris design.

    Writes sobol.csv (and sobol_second_order.csv) or morris.csv, and figures/sobol.png or figures/morris.png,
    into the sweep folder. Given an experiment file, it first runs (or resumes) the sweep into --out."""
    with user_errors():
        if source.is_dir() and (out is not None or workers or scheduler or overrides or force):
            raise InputError(
                f"{source}: is a sweep folder; --out, --workers, --scheduler, --set and --force apply only when "
                "sensitivity starts from an experiment file."
            )
        folder = (
            source
            if source.is_dir()
            else sweep_and_draw(source, out, workers, scheduler, overrides, quiet, force)[0]
        )
        result, written = analyse_sweep(folder, outcome)
    if not quiet:
        console.print(f"{result.method} indices of {result.table['outcome'].nunique()} outcomes written:")
        for path in written:
            console.print(f"  {path}")


def sweep_and_draw(
    experiment: Path,
    out: str | None,
    workers: int | None,
    scheduler: str | None,
    overrides: list[str] | None,
    quiet: bool,
    force: bool = False,
) -> tuple[Path, Tally]:
    """Run (or resume) the sweep of an experiment file and draw it; return its folder and how it went. With
    `force`, a folder that holds anything but this sweep is replaced."""
    plan = load_experiment(experiment, overrides or [])
    folder = output_path(out, default_output(plan.spec.name))
    claim_folder(folder, "sweep", force)
    if force and folder.is_dir() and not holds_experiment(folder, plan):
        clear_folder(folder)
    check_scenarios_fit([plan.base], workers or available_cores(), force, source=str(experiment))
    sweep = sweep_with_progress(plan, folder, workers, scheduler, show=not quiet)
    save_sweep_figures(sweep.runs, plan, folder / "figures")
    return folder, sweep.tally


def sweep_with_progress(plan: SweepPlan, folder: Path, workers: int | None, scheduler: str | None, show: bool) -> Sweep:
    """Run the sweep with a progress bar (runs done, failures, time left), shown once the sweep folder is
    ready; stop with exit code 1 if runs were lost to dead workers and 130 on Ctrl-C, saying how to resume
    either way."""
    if workers is not None and scheduler is not None:
        raise InputError("--workers and --scheduler: give one of them (the cluster decides how many workers run).")
    workers = workers or available_cores()
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failed]} failed"),
        TimeRemainingColumn(),
    )
    progress = Progress(*columns, console=Console(stderr=True), disable=not show)
    task = progress.add_task("sweep", total=len(plan.runs), failed=0)

    def update(tally: Tally) -> None:
        """Show a sweep's progress."""
        if not progress.live.is_started:
            progress.start()
        progress.update(task, completed=tally.done, failed=tally.failed)

    try:
        try:
            return run_sweep(plan, folder, workers, scheduler, update)
        finally:
            progress.stop()
    except SweepIncomplete as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        saved = len(list((folder / PARTS).glob("run-*.parquet")))
        typer.echo(
            f"interrupted: {saved} of {len(plan.runs)} runs are saved in {folder / PARTS}; "
            "run the same command again to resume.",
            err=True,
        )
        raise typer.Exit(130) from None


def print_sweep(tally: Tally, folder: Path) -> None:
    """How the sweep went, and where its results are."""
    ran = tally.done - tally.skipped
    resumed = f" ({tally.skipped} were already done)" if tally.skipped else ""
    console.print(f"{ran} runs ran{resumed}; {tally.failed} of {tally.total} failed (see the error column).")
    console.print(f"Results in {folder / RUNS_FILE} and {folder / 'figures'}/")
