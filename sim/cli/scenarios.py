"""`adoptsim scenarios`: list, show, check and export the schema of scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from sim.cli.common import ScenarioArg, SetOption, console, user_errors
from sim.errors import InputError
from sim.scenario import load_scenario, resolve_scenario_path, shipped_scenarios
from sim.schema import json_schema

app = typer.Typer(help="List, show and check scenario files.", no_args_is_help=True)


@app.command("list")
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


@app.command("show")
def scenarios_show(scenario: ScenarioArg, overrides: SetOption = None) -> None:
    """Print a scenario fully resolved (bases merged, overrides applied, defaults filled in) as YAML."""
    with user_errors():
        spec = load_scenario(scenario, overrides or [])
    typer.echo(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), nl=False)


@app.command("check")
def scenarios_check(
    files: Annotated[list[str], typer.Argument(help="Scenario files or shipped names to check.")],
) -> None:
    """Validate scenario files against the schema; exit 2 at the first invalid one."""
    with user_errors():
        for name in files:
            load_scenario(name)
            typer.echo(f"ok: {resolve_scenario_path(name)}")


@app.command("schema")
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
