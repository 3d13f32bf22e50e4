"""`adoptsim discover`: scenario discovery on a finished sweep, with PRIM and CART from EMA Workbench."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli.common import ForceOption, QuietOption, console, interruptible, user_errors

MIN_COVERAGE = 0.7
MASS_MIN = 0.05
"""Defaults of --min-coverage and --mass-min (the same as sim.experiments.discover's, which is not imported
until the command runs)."""


def discover_command(
    sweep: Annotated[
        Path, typer.Argument(help="A finished sweep folder (written by adoptsim sweep: runs.parquet, experiment.json).")
    ],
    outcome: Annotated[str, typer.Option(help="The outcome that marks the runs of interest, such as pilots_scaled.")],
    where: Annotated[
        str | None,
        typer.Option(
            help='Runs of interest: the outcome compared with a number, such as ">= 5" or "< 0.3" (>=, >, <=, <, '
            "==, !=). Give --where or --top."
        ),
    ] = None,
    top: Annotated[
        float | None,
        typer.Option(
            help="Runs of interest: this share of the runs with the highest outcome, such as 0.2 for the top 20% "
            "(as close as ties allow: the outcome at least the cutoff whose share is nearest)."
        ),
    ] = None,
    min_coverage: Annotated[
        float,
        typer.Option(
            help="The box reported is the densest box on PRIM's peeling trajectory that still covers at least "
            "this share of the runs of interest."
        ),
    ] = MIN_COVERAGE,
    box: Annotated[
        int | None,
        typer.Option(help="Report this box of the peeling trajectory instead (its id in trajectory.csv).", min=0),
    ] = None,
    mass_min: Annotated[
        float, typer.Option(help="Smallest share of the runs a PRIM box or a CART leaf may hold (EMA's default).")
    ] = MASS_MIN,
    out: Annotated[
        str | None,
        typer.Option(
            help="Output folder (default: SWEEP/discovery-<outcome>, where adoptsim report SWEEP finds it). An "
            "existing folder is replaced only if it holds an earlier discovery (or with --force)."
        ),
    ] = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Scenario discovery: under which combinations of the sweep's factors does the outcome pass the
    threshold? PRIM (EMA Workbench) peels the factor space towards the runs of interest; CART fits a
    classification tree to the same runs.

    The box reported is, by a stated rule, the densest box on PRIM's peeling trajectory whose coverage is at
    least --min-coverage (default 0.7): coverage is the share of runs of interest inside the box, density the
    share of runs inside the box that are of interest, mass the share of all runs inside it. Each limit comes
    with EMA's quasi-p-value (below 0.05: the limit matters beyond chance). --box N reports another box of the
    trajectory.

    Writes discovery.json, discovery.csv (the box: a row per factor), trajectory.csv, cart.txt and
    figures/ (trajectory.png, box.png, cart.png). Example:
    adoptsim discover outputs/foundations --outcome pilots_scaled --where ">= 5" """
    from sim.experiments.discover import default_folder, discover, write_discovery
    from sim.output import output_path

    with user_errors():
        found = discover(sweep, outcome, where, top, min_coverage, mass_min, box)
        folder = output_path(out, default_folder(sweep, outcome))
        with interruptible(f"nothing was written to {folder}."):
            write_discovery(found, folder, force)
    if not quiet:
        print_discovery(found, folder)


def print_discovery(found, folder: Path) -> None:
    """The chosen box as a table, the sentence, CART's densest leaf and where the files are."""
    from sim.experiments.discover import number, p_text, short_name, weak_limits

    stats = found.stats
    console.print(
        f"{found.selection.text}: {found.of_interest:,} of {found.runs:,} runs ({found.base_rate:.0%}) in sweep "
        f"{found.experiment}.",
        highlight=False,
    )
    table = Table(
        title=f"PRIM box {found.chosen}: coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
        f"mass {stats['mass']:.2f}",
        title_justify="left",
    )
    for column, justify in [
        ("factor", "left"),
        ("at least", "right"),
        ("at most", "right"),
        ("quasi-p", "right"),
        ("range in the sweep", "right"),
    ]:
        table.add_column(column, justify=justify)
    names = list(found.limits["factor"])
    for row in found.limits.itertuples():
        if row.values:
            table.add_row(short_name(row.factor, names), row.values, "", p_text(row.qp_lower), "")
            continue
        low = number(row.lowest_in_box) if row.lower > row.range_min else "—"
        high = number(row.highest_in_box) if row.upper < row.range_max else "—"
        p = ", ".join(p_text(v) for v in (row.qp_lower, row.qp_upper) if v == v and v is not None) or ""
        style = None if row.restricted else "dim"
        table.add_row(
            short_name(row.factor, names),
            low,
            high,
            p,
            f"{number(row.range_min)} to {number(row.range_max)}",
            style=style,
        )
    console.print(table)
    console.print(found.sentence, highlight=False)
    weak = weak_limits(found.limits)
    if weak:
        console.print(
            f"Not significant (quasi-p above 0.05): {', '.join(short_name(w, names) for w in weak)}; the box "
            "would be about as dense without that limit.",
            highlight=False,
        )
    console.print(f"Chosen as {found.rule}.", highlight=False)
    if found.cart_leaves:
        leaf = found.cart_leaves[0]
        console.print(
            f"CART's densest leaf: {' and '.join(leaf['conditions']) or 'all runs'} (density {leaf['density']:.2f}, "
            f"coverage {leaf['coverage']:.2f}).",
            highlight=False,
        )
    if found.left_out:
        console.print(
            "Left out: " + "; ".join(f"{name} {why}" for name, why in found.left_out.items()) + ".", highlight=False
        )
    console.print(f"Results in {folder}/ (trajectory, box and CART figures in figures/)", highlight=False)
