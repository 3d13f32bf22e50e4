"""`adoptsim compare` (a base scenario against arms of interventions, with common random numbers) and
`adoptsim report` (one self-contained HTML page for a comparison, run or sweep folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sim.cli.common import ForceOption, QuietOption, SetOption, console, interruptible, user_errors
from sim.experiments.compare import ComparisonPlan, Results, load_comparison, run_comparison, write_comparison
from sim.experiments.compare_figures import save_comparison_figures
from sim.experiments.robust import robust_summary, write_robust
from sim.experiments.robust_figures import save_robust_figure
from sim.output import default_output, output_folder, output_path
from sim.report import comparison_summary, read_json, write_report
from sim.resources import check_scenarios_fit


def compare_command(
    comparison: Annotated[
        Path, typer.Argument(help="A comparison file (YAML): a base scenario, arms of interventions, replicates.")
    ],
    out: Annotated[
        str | None,
        typer.Option(
            help="Output folder (default: outputs/<comparison name>). An existing folder is replaced only if it "
            "holds an earlier comparison's output (or with --force)."
        ),
    ] = None,
    replicates: Annotated[
        int | None, typer.Option(help="Replicates per arm (default: the file's).", min=2, max=10_000)
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Worker processes; the results do not depend on how many.", min=1, max=512)
    ] = 1,
    overrides: SetOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Compare arms of interventions with a base scenario; write comparison.csv, comparison.json,
    replicates.csv, manifest.json and figures/. --set overrides fields of the base scenario."""
    with user_errors():
        plan = load_comparison(comparison, overrides or [], replicates)
        folder = output_path(out, default_output(plan.spec.name))
        check_scenarios_fit([plan.base, *plan.arms.values()], workers, force, source=str(comparison))
        with interruptible(f"nothing was written to {folder}."), output_folder(folder, "compare", force) as staging:
            results = run_with_progress(plan, workers, show=not quiet)
            table = write_comparison(plan, results, staging)
            save_comparison_figures(plan, results, table, staging / "figures")
            if plan.uncertain is not None:
                save_robust_figure(write_robust(plan, results, staging), staging / "figures")
    if not quiet:
        print_summary(folder)


def run_with_progress(plan: ComparisonPlan, workers: int, show: bool) -> Results:
    """Run the comparison with a progress bar over its runs (replicates of the base and every arm)."""
    if not show:
        return run_comparison(plan, workers)
    total = plan.spec.replicates * (len(plan.arms) + 1)
    columns = (TextColumn("replicates"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("compare", total=total)
        return run_comparison(plan, workers, on_run=lambda: progress.advance(task))


def print_summary(folder: Path) -> None:
    """The plain-language summary of the comparison, and where the results are."""
    for line in comparison_summary(read_json(folder / "comparison.json")):
        console.print(line, highlight=False)
    if (folder / "robust.json").is_file():
        for line in robust_summary(read_json(folder / "robust.json")):
            console.print(line, highlight=False)
    console.print(f"Results in {folder}/ (adoptsim report {folder} writes an HTML report)")


def report_command(
    folder: Annotated[Path, typer.Argument(help="A folder written by adoptsim compare, run or sweep.")],
) -> None:
    """Write FOLDER/report.html: one self-contained page (figures embedded, no network needed) that opens
    with a plain-language summary."""
    with user_errors():
        path = write_report(folder)
    console.print(f"Report in {path}")
