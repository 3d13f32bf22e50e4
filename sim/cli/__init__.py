"""The `adoptsim` command line.

Exit codes: 0 success; 2 bad input (the message names the file, field, value and what is allowed);
1 an internal error. Each command lives in its own module of this package.
"""

from __future__ import annotations

import typer

from sim.cli import compare, run, scenarios
from sim.cli.calibration import calibrate_command, validate_command
from sim.cli.classroom import animate_command, app_command
from sim.cli.discover import discover_command
from sim.cli.sweep import sensitivity_command, sweep_command

app = typer.Typer(
    help="adoptsim: an agent-based simulation of how organisations adopt AI, and why most pilots never scale.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("run")(run.run_command)
app.add_typer(scenarios.app, name="scenarios")
app.command("compare")(compare.compare_command)
app.command("report")(compare.report_command)
app.command("app")(app_command)
app.command("animate")(animate_command)
app.command("sweep")(sweep_command)
app.command("sensitivity")(sensitivity_command)
app.command("discover")(discover_command)
app.command("calibrate")(calibrate_command)
app.command("validate")(validate_command)


def main() -> None:
    """Entry point of the `adoptsim` console script."""
    app()
