"""`adoptsim org import`: a scenario of your own organisation from its teams, a pulse survey and its pilots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.common import ForceFileOption, QuietOption, console, user_errors
from sim.errors import InputError
from sim.schema import Firm

app = typer.Typer(
    help="Your own organisation: a scenario from your teams, staff survey and pilots.", no_args_is_help=True
)


@app.command("import")
def import_command(
    teams: Annotated[
        Path, typer.Option(help="Teams CSV: team, function (front office or back office), head_count, manager_team.")
    ],
    survey: Annotated[
        Path,
        typer.Option(
            help="Pulse survey CSV: one row per respondent (team and the items PU1-3, AX1-3, SK1-3, USE, PS1-3, "
            "answers 1-5) or one per team (team, respondents, the items' means, regular_users)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="The scenario file to write (YAML).")],
    pilots: Annotated[
        Path | None,
        typer.Option(help="Pilots CSV: pilot, team, kind, platform (shared or a name), stage, age_weeks."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The firm's name (default: the --out file's name).")] = None,
    industry: Annotated[str, typer.Option(help="Industry, which sets the perceived job threat.")] = "general",
    min_respondents: Annotated[
        int,
        typer.Option(help="Fewest respondents whose answers describe a team; fewer: the firm's mean.", min=1, max=100),
    ] = 3,
    force: ForceFileOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write a scenario whose firm is yours: its teams with their survey means of attitude, anxiety, skill, usage
    and psychological safety, and its pilots at their stages. The mapping is in docs/ODD.md (sections 5.4, 6.1)."""
    with user_errors():
        from sim.files import write_text
        from sim.orgdata import MARKER, organisation

        check_out(out, force, MARKER)
        imported = organisation(teams, survey, pilots, name or out.stem, industry, min_respondents)
        text = imported.text([teams, survey, *([pilots] if pilots is not None else [])])
        try:
            write_text(out, text)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write there ({exc.strerror}).") from None
    if not quiet:
        firm, analysis = imported.scenario.firm, imported.survey
        stages = ", ".join(f"{n} {stage}" for stage, n in count_stages(firm).items()) or "none"
        console.print(
            f"{firm.name}: {len(firm.teams or [])} teams, {firm.employees:,} employees, "
            f"{analysis.respondents:,} respondents, pilots: {stages}",
            highlight=False,
        )
        console.print(f"Scenario in {out} (next: a comparison file with base: {out.name}, then adoptsim compare)")


def check_out(out: Path, force: bool, marker: str) -> None:
    """Refuse to replace a file this command did not write, unless --force; refuse a folder or a missing one."""
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; give the scenario file's name.")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist.")
    if out.exists() and not force:
        try:
            ours = out.read_text(encoding="utf-8").startswith(marker)
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            raise InputError(
                f"--out {out}: the file exists and was not written by adoptsim org import; it is left alone. "
                "Choose another name, or add --force to replace it."
            )


def count_stages(firm: Firm) -> dict[str, int]:
    """Pilots per stage, in the funnel's order."""
    from sim.pilots import STAGES

    counts = {stage: sum(p.stage == stage for p in firm.pilots) for stage in STAGES}
    return {stage: n for stage, n in counts.items() if n}
