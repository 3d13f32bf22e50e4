"""What every command shares: the console, the scenario and --set arguments, and turning bad input into exit 2."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from sim.errors import InputError

console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    str, typer.Argument(help="A scenario file, or the name of a shipped one (see `adoptsim scenarios list`).")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a scenario field by its dotted path, e.g. --set firm.levers.culture=0.8 (repeatable).",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into --out even if it exists and holds something other than this command's earlier "
        "output; what it holds is replaced.",
    ),
]
ForceFileOption = Annotated[
    bool,
    typer.Option("--force", help="Replace the file at --out if one is there already (it is otherwise left alone)."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Run on an existing Dask cluster instead of local processes, given its scheduler's address "
        "(tcp://HOST:PORT); its workers need adoptsim installed; --workers is then ignored. Results do not change."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(help="Worker processes on this machine (default: one per CPU core); results do not change.", min=1),
]


@contextmanager
def interruptible(what: str) -> Iterator[None]:
    """Ctrl-C: say what was (not) written and exit with code 130, without a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        typer.echo(f"interrupted: {what}", err=True)
        raise typer.Exit(130) from None


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into a plain message on stderr and exit code 2."""
    try:
        yield
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def available_cores() -> int:
    """The CPU cores this process may use (fewer than the machine's where it is limited)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
