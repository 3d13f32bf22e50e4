"""`adoptsim run`: one scenario, one seed, a folder of results and a short summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.cli.common import ForceOption, QuietOption, ScenarioArg, SetOption, console, interruptible, user_errors
from sim.output import default_output, output_folder, output_path, write_run
from sim.plots import save_run_figures
from sim.resources import check_run_fits
from sim.run import RunResult, run
from sim.scenario import load_scenario
from sim.schema import Scenario


def run_command(
    scenario: ScenarioArg,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same scenario and seed give the same output bytes.", min=0)
    ] = 0,
    weeks: Annotated[
        int | None, typer.Option(help="Weeks to simulate (default: the scenario's horizon).", min=1, max=1040)
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Output folder (default: outputs/<scenario name>). An existing folder is replaced only if it "
            "holds an earlier run's output (or with --force)."
        ),
    ] = None,
    overrides: SetOption = None,
    employees: Annotated[
        int | None,
        typer.Option(
            "--employees",
            help="Also write employees.parquet: every employee's state every N weeks and at the end (0: the end only).",
            min=0,
        ),
    ] = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Run one scenario and write manifest.json, summary.json, timeseries.csv, pilots.csv and figures/.

    The same scenario and seed give the same bytes in summary.json, timeseries.csv and pilots.csv."""
    with user_errors():
        horizon = [f"weeks={weeks}"] if weeks is not None else []
        sources = [f"--set {a!r}" for a in overrides or []] + [f"--weeks {weeks}"] * len(horizon)
        spec = load_scenario(scenario, [*(overrides or []), *horizon], sources)
        folder = output_path(out, default_output(spec.name))
        check_run_fits(spec, employees, force, folder, source=scenario)
        with interruptible(f"nothing was written to {folder}."), output_folder(folder, "run", force) as staging:
            result = run_with_progress(spec, seed, employees, show=not quiet)
            write_run(result, staging)
            save_run_figures(result, staging / "figures")
    if not quiet:
        print_summary(result, folder)


def run_with_progress(spec: Scenario, seed: int, employees_every: int | None, show: bool) -> RunResult:
    """Run, with a progress bar unless asked to be quiet."""
    horizon = spec.weeks
    if not show:
        return run(spec, seed, employees_every=employees_every)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("weeks"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("run", total=horizon)
        return run(
            spec, seed, employees_every=employees_every, on_week=lambda week: progress.update(task, completed=week)
        )


def print_summary(result: RunResult, folder: Path) -> None:
    """A short readable summary: pilots per stage, usage against engagement, anxiety."""
    s = result.summary
    console.print(
        f"[bold]{result.scenario.name}[/bold]  seed {result.seed}, {result.weeks} weeks, {s['employees']:,} employees"
    )
    funnel = Table(title="Pilot funnel", show_header=True, box=None)
    for column in ("proposed", "proof of concept", "production", "scaled", "abandoned", "stalled now", "duplicates"):
        funnel.add_column(column, justify="right")
    funnel.add_row(
        *(
            str(s[key])
            for key in (
                "pilots_proposed",
                "pilots_started",
                "pilots_reached_production",
                "pilots_scaled",
                "pilots_abandoned",
                "pilots_stalled",
                "duplicate_pilots",
            )
        )
    )
    console.print(funnel)
    people = Table(title="Employees", show_header=True, box=None)
    for column in ("regular users", "committed adopters", "engaged adopters", "mean anxiety", "mean AI skill"):
        people.add_column(column, justify="right")
    people.add_row(
        f"{s['usage_rate']:.0%}",
        f"{s['adopted_share']:.0%}",
        f"{s['engagement_rate']:.0%}",
        f"{s['mean_anxiety']:.2f}",
        f"{s['mean_skill']:.2f}",
    )
    console.print(people)
    scaled = (
        f"{s['scaled_back_office']} of the {s['pilots_scaled']} scaled pilots are back-office."
        if s["pilots_scaled"]
        else "No pilot scaled across teams."
    )
    console.print(
        f"{s['poc_to_production']:.0%} of proofs of concept reached production, "
        f"{s['poc_scrapped']:.0%} were scrapped. {scaled}"
    )
    console.print(f"Results in {folder}/")
