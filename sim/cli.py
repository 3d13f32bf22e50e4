"""The `adoptsim` command line: run scenarios and inspect scenario files.

Exit codes: 0 success; 2 bad input (message names the file, field, value and what is allowed); 1 an
internal error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.errors import InputError
from sim.output import output_folder, write_run
from sim.plots import save_run_figures
from sim.run import RunResult, run
from sim.scenario import load_scenario, resolve_scenario_path, shipped_scenarios
from sim.schema import Scenario, json_schema

app = typer.Typer(
    help="adoptsim: an agent-based simulation of how organisations adopt AI, and why most pilots never scale.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scenarios_app = typer.Typer(help="List, show and check scenario files.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")

console = Console()
PROGRESS_THRESHOLD = 5_000_000
"""Employee-weeks above which `run` shows a progress bar."""

ScenarioArg = Annotated[
    str, typer.Argument(help="A scenario file, or the name of a shipped one (see `adoptsim scenarios list`).")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a scenario field by its dotted path, e.g. --set firm.levers.culture=0.8 (repeatable)."
    ),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into a plain message on stderr and exit code 2."""
    try:
        yield
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("run")
def run_command(
    scenario: ScenarioArg,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same scenario and seed give the same output bytes.", min=0)
    ] = 0,
    weeks: Annotated[
        int | None, typer.Option(help="Weeks to simulate (default: the scenario's horizon).", min=1, max=1040)
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: outputs/<scenario name>).")] = None,
    overrides: SetOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Run one scenario and write manifest.json, summary.json, timeseries.csv, pilots.csv and figures/."""
    with user_errors():
        spec = load_scenario(scenario, overrides or [])
        folder = out if out is not None else Path("outputs") / spec.name
        with output_folder(folder) as staging:
            result = run_with_progress(spec, seed, weeks, show=not quiet)
            write_run(result, staging)
            save_run_figures(result, staging / "figures")
    if not quiet:
        print_summary(result, folder)


def run_with_progress(spec: Scenario, seed: int, weeks: int | None, show: bool) -> RunResult:
    """Run, with a progress bar when the run is long enough to wait for."""
    horizon = weeks or spec.weeks
    if not show or spec.firm.employees * horizon < PROGRESS_THRESHOLD:
        return run(spec, seed, weeks)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("weeks"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("run", total=horizon)
        return run(spec, seed, weeks, on_week=lambda week: progress.update(task, completed=week))


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
    console.print(
        f"{s['poc_to_production']:.0%} of proofs of concept reached production, {s['poc_scrapped']:.0%} were scrapped; "
        f"{s['scaled_back_office']} of {s['pilots_scaled']} scaled pilots are back-office."
    )
    console.print(f"Results in {folder}/")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the shipped scenarios with their size, industry, foundation levers and mandate."""
    table = Table("scenario", "employees", "industry", "infra", "align", "culture", "mandate", box=None)
    with user_errors():
        for name in shipped_scenarios():
            firm = load_scenario(name).firm
            levers = firm.levers
            table.add_row(
                name,
                f"{firm.employees:,}",
                firm.industry,
                f"{levers.infrastructure:.2f}",
                f"{levers.alignment:.2f}",
                f"{levers.culture:.2f}",
                f"{firm.mandate:.2f}",
            )
    console.print(table)
    console.print("Details: adoptsim scenarios show NAME")


@scenarios_app.command("show")
def scenarios_show(scenario: ScenarioArg, overrides: SetOption = None) -> None:
    """Print a scenario fully resolved (bases merged, overrides applied, defaults filled in) as YAML."""
    with user_errors():
        spec = load_scenario(scenario, overrides or [])
    typer.echo(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), nl=False)


@scenarios_app.command("check")
def scenarios_check(
    files: Annotated[list[str], typer.Argument(help="Scenario files or shipped names to check.")],
) -> None:
    """Validate scenario files against the schema; exit 2 at the first invalid one."""
    with user_errors():
        for name in files:
            load_scenario(name)
            typer.echo(f"ok: {resolve_scenario_path(name)}")


@scenarios_app.command("schema")
def scenarios_schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of printing.")] = None,
) -> None:
    """Export the scenario schema as JSON Schema, for editors that check YAML as you type."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    with user_errors():
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write there ({exc.strerror}).") from None


def main() -> None:
    """Entry point of the `adoptsim` console script."""
    app()
