"""The `adoptsim` command line.

Exit codes: 0 success; 2 bad input (the message names the file, field, value and what is allowed);
1 an internal error. Each command lives in its own module of this package, imported only when the command
line holds that command (or asks for the list of all): `adoptsim run` does not load what a sweep, a
calibration or the app need.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path

import typer

COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sim.cli.run", "run_command"),
    "scenarios": ("sim.cli.scenarios", "app"),
    "compare": ("sim.cli.compare", "compare_command"),
    "report": ("sim.cli.compare", "report_command"),
    "app": ("sim.cli.classroom", "app_command"),
    "animate": ("sim.cli.classroom", "animate_command"),
    "sweep": ("sim.cli.sweep", "sweep_command"),
    "sensitivity": ("sim.cli.sweep", "sensitivity_command"),
    "discover": ("sim.cli.discover", "discover_command"),
    "calibrate": ("sim.cli.calibration", "calibrate_command"),
    "validate": ("sim.cli.calibration", "validate_command"),
    "org": ("sim.cli.org", "app"),
    "optimise": ("sim.cli.optimise", "optimise_command"),
}
"""Every command, in the order `adoptsim --help` lists them: its module and its function (or sub-app)."""

HELP = "adoptsim: an agent-based simulation of how organisations adopt AI, and why most pilots never scale."


def listing() -> typer.Typer:
    """The command line as `adoptsim --help` lists it, without importing any command: each command's first
    paragraph of help, read from its module's source text (tests check that this is the help the command has).
    `adoptsim --help` then costs no more than typer's own import."""
    app = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    for name, (module, attribute) in COMMANDS.items():
        group, text = summary(module, attribute)
        if group:
            app.add_typer(typer.Typer(help=text), name=name)
        else:
            app.command(name, help=text)(lambda: None)
    return app


def summary(module: str, attribute: str) -> tuple[bool, str]:
    """Whether a command is a group of commands, and the first paragraph of its docstring (or of its
    sub-app's `help=`), from the source text."""
    import ast
    from importlib.util import find_spec

    spec = find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attribute:
            return False, (ast.get_docstring(node) or "").split("\n\n")[0]
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == attribute for t in node.targets):
            return True, next(k.value.value for k in node.value.keywords if k.arg == "help").split("\n\n")[0]
    return False, ""


def figures_to_files() -> None:
    """The command line draws figures into files, never windows: it chooses matplotlib's non-interactive
    backend for itself and the processes it starts (workers, the app's server). Library modules choose none,
    so importing sim in a notebook keeps the notebook's backend."""
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")


def build(names: list[str] | None = None) -> typer.Typer:
    """The command line with the named commands (all by default), importing only their modules."""
    figures_to_files()
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    for name, (module, attribute) in COMMANDS.items():
        if names is None or name in names:
            command = getattr(import_module(module), attribute)
            if isinstance(command, typer.Typer):
                app.add_typer(command, name=name)
            else:
                app.command(name)(command)
    if names is not None:
        app.callback()(lambda: None)  # a group even with one command: `adoptsim run ...` as with all of them
    return app


def __getattr__(name: str) -> typer.Typer:
    """`sim.cli.app`: the whole command line, built on first use."""
    if name == "app":
        globals()["app"] = build()
        return globals()["app"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def needs_extra(command: str) -> None:
    """Exit 2 with what to install when the command needs an optional extra that is missing."""
    from sim.extras import COMMAND_EXTRAS, require

    if command in COMMAND_EXTRAS:
        from sim.cli.common import user_errors

        try:
            with user_errors():
                require(COMMAND_EXTRAS[command], f"adoptsim {command}")
        except typer.Exit as stop:
            raise SystemExit(stop.exit_code) from None


def main() -> None:
    """Entry point of the `adoptsim` console script."""
    command = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        if command in COMMANDS:
            needs_extra(command)
            build([command])()
        else:  # `adoptsim`, `adoptsim --help` or an unknown command: the listing, with nothing imported
            figures_to_files()
            listing()()
    except KeyboardInterrupt:  # Ctrl-C before a command's own handler (while it starts): nothing was done
        print(f"interrupted: adoptsim {command or ''} stopped while starting; nothing was written.", file=sys.stderr)
        raise SystemExit(130) from None
