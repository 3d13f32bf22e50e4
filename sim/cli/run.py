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
from sim.terms import term


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
    keys = {
        "pilots proposed": "pilots_proposed",
        "pilots started": "pilots_started",
        "pilots that reached production": "pilots_reached_production",
        "pilots scaled": "pilots_scaled",
        "pilots abandoned": "pilots_abandoned",
        "pilots stalled": "pilots_stalled",
        "duplicate pilots": "duplicate_pilots",
    }
    for column in keys:
        funnel.add_column(term(column), justify="right")
    funnel.add_row(*(str(s[key]) for key in keys.values()))
    console.print(funnel)
    people = Table(title="Employees", show_header=True, box=None)
    for column in ("regular users", "adopters", "engaged adopters", "mean AI anxiety", "mean AI skill"):
        people.add_column(term(column), justify="right")
    people.add_row(
        f"{s['usage_rate']:.0%}",
        f"{s['adopted_share']:.0%}",
        f"{s['engagement_rate']:.0%}",
        f"{s['mean_anxiety']:.2f}",
        f"{s['mean_skill']:.2f}",
    )
    console.print(people)
    console.print(funnel_sentence(s))
    console.print(f"Results in {folder}/")


def funnel_sentence(s: dict) -> str:
    """The funnel in words, every share with its denominator: of the pilots started (proofs of concept), how
    many reached production and how many were scrapped; and the pilots abandoned at any stage, which also
    counts ideas and pilots given up after production."""
    started = s["pilots_started"]
    scrapped = round(s["poc_scrapped"] * max(started, 1))
    scaled = (
        f"{s['scaled_back_office']} of the {s['pilots_scaled']} pilots scaled are back-office."
        if s["pilots_scaled"]
        else "No pilot scaled across teams."
    )
    return (
        f"Of {started} pilots started, {s['pilots_reached_production']} ({s['poc_to_production']:.0%}) reached "
        f"production and {scrapped} ({s['poc_scrapped']:.0%}) were scrapped (abandoned before production); "
        f"{s['pilots_abandoned']} pilots were abandoned at any stage, ideas included. {scaled} "
        "Adopters (decided to use AI) can outnumber regular users: some have not yet used AI enough to count."
    )
