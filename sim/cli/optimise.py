"""`adoptsim optimise`: the best plans of interventions within a budget (NSGA-II, resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.calibration import progress_bar
from sim.cli.common import (
    ForceOption,
    QuietOption,
    SetOption,
    WorkersOption,
    available_cores,
    console,
    interruptible,
    user_errors,
)
from sim.experiments import optimise as opt
from sim.experiments.studies import completed
from sim.output import claim_folder, clear_folder, default_output, held_kind, output_path
from sim.resources import check_scenarios_fit


def optimise_command(
    plan: Annotated[
        Path,
        typer.Argument(help="A plan file (YAML): base scenario, candidate interventions with costs and ranges."),
    ],
    budget: Annotated[
        float | None, typer.Option(help="Most a plan may cost (default: the file's budget).", min=0)
    ] = None,
    trials: Annotated[
        int | None, typer.Option(help="Plans to score in all, counting earlier runs (default: the file's).", min=1)
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Folder (default: outputs/<plan>-optimise). Run the same command again to resume. A folder "
            "holding anything but an optimisation is refused (or, with --force, replaced)."
        ),
    ] = None,
    workers: WorkersOption = None,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Search for the plans (which interventions, when, how long, how strong) that scale the most pilots at
    the least cost with the most engagement, within a budget.

    Optuna's NSGA-II proposes plans; every plan runs on the same replicates (and worlds, with an uncertain: \
block). Plans over budget are infeasible. The Pareto front and each candidate alone are re-scored on fresh \
replicates. Trials are journalled in OUT/optimise.journal: after an interruption (even kill -9) the same \
command resumes, and a larger --trials continues a finished search.

    Writes optimise.json, front.csv, trials.csv, plans.yaml (a comparison that adoptsim compare reruns), \
figures/front.png and manifest.json; adoptsim report OUT writes the report."""
    with user_errors():
        problem = opt.load_plan(plan, budget, overrides or [])
        folder = output_path(out, default_output(problem.spec.name, "-optimise"))
        cores = workers or available_cores()
        check_scenarios_fit([problem.base], cores, force, source=str(plan))
        claim_folder(folder, "optimise", force)
        if force and folder.is_dir() and held_kind(folder) != "optimise":
            clear_folder(folder)
        kept = f"the plans scored so far are kept in {folder / opt.JOURNAL}; the same command resumes."
        with interruptible(kept):
            if quiet:
                result = opt.run_optimisation(problem, folder, trials, cores)
            else:
                with progress_bar("optimising") as bar:
                    result = opt.run_optimisation(problem, folder, trials, cores, bar_progress(bar))
    if not quiet:
        print_result(result, folder)


def bar_progress(bar) -> opt.SearchProgress:
    """Progress callbacks that move a bar through the trials, then through the re-scoring runs."""
    task = bar.add_task("plans", total=None)
    return opt.SearchProgress(
        started=lambda done, total: bar.update(task, completed=done, total=total, description="plans"),
        trial=lambda done: bar.update(task, completed=done),
        stage=lambda description, runs: bar.update(task, completed=0, total=runs, description=description),
        run=lambda: bar.advance(task),
    )


def print_result(result: opt.Optimisation, folder: Path) -> None:
    """The front in words with its fresh scores, and the closing note."""
    table = Table(
        title=f"Pareto front within {opt.money(result.problem.budget)}, re-scored on fresh replicates", box=None
    )
    for column in ("plan", "cost", "scaled", "engaged", "what it does"):
        table.add_column(column, justify="left" if column in ("plan", "what it does") else "right")
    for o in [*result.front, *result.singles]:
        table.add_row(
            o.name,
            opt.money(o.cost),
            f"{o.fresh.mean('pilots_scaled'):.1f}",
            f"{o.fresh.mean('engagement_rate'):.0%}",
            o.words,
        )
    console.print(table)
    console.print(result.closing_note(), highlight=False)
    trials = len(completed(result.study))
    console.print(
        f"{trials} plans scored in all; {result.seconds:.0f} s this run. Results in {folder}/ "
        f"(adoptsim compare {folder}/plans.yaml reruns the front; adoptsim report {folder})"
    )
