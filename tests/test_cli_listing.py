"""The command line's listing and the package's lazy API: `adoptsim --help` imports no command, `import sim`
imports no model, and what they show is what the commands and the API are."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

import sim.cli


def help_text(app) -> str:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_listing_shows_each_command_with_the_help_it_has() -> None:
    """The listing reads each command's help from its source text; it must be the help the command has."""
    assert help_text(sim.cli.listing()) == help_text(sim.cli.build())


def imported_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `code`."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_help_and_the_package_import_neither_mesa_nor_the_heavy_libraries() -> None:
    heavy = {"mesa", "numba", "pandas", "matplotlib", "solara", "optuna", "dask", "ema_workbench"}
    assert not heavy & imported_after("import sim")
    probe = "import sim.cli\nsys.argv = ['adoptsim', '--help']\ntry:\n    sim.cli.main()\nexcept SystemExit:\n    pass"
    assert not heavy & imported_after(probe)


def test_the_readme_api_example_works_in_a_fresh_interpreter() -> None:
    """`import sim; sim.plots.usage_against_engagement(result)`, as README.md and sim's docstring write it."""
    code = (
        "import sim\n"
        "scenario = sim.load_scenario('baseline', ['firm.levers.culture=0.8', 'weeks=8'])\n"
        "import sim.cli.run  # importing the module sim.run must not hide the function sim.run\n"
        "result = sim.run(scenario, seed=1)\n"
        "print(type(sim.plots.usage_against_engagement(result)).__name__, sorted(result.summary)[:1])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("Figure ")
