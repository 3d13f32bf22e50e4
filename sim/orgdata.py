"""An organisation from its own files: teams, a staff pulse survey and the current pilot portfolio, turned into
a scenario whose firm lists its own teams (with survey means of their initial states) and its pilots.

The mapping from survey items to model states is in docs/ODD.md (sections 5.4 and 6.1), with its sources.
Every malformed file, column or row is an `InputError` naming the file, row, column, value and what is allowed.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.errors import InputError
from sim.schema import INDUSTRY_THREAT, Firm, Scenario

MARKER = "# Written by adoptsim org import"
"""The first line of every file the importer writes: a file starting with it may be replaced without --force."""

TEAM_COLUMNS = ("team", "function", "head_count", "manager_team")
PILOT_COLUMNS = ("pilot", "team", "kind", "platform", "stage", "age_weeks")
PILOT_REQUIRED = ("team", "kind", "platform", "stage", "age_weeks")

FUNCTIONS = {
    "front office": "front-office",
    "front-office": "front-office",
    "back office": "back-office",
    "back-office": "back-office",
}
STAGE_NAMES = {
    "idea": "idea",
    "poc": "poc",
    "proof of concept": "poc",
    "pilot": "pilot",
    "production": "production",
    "scaled": "scaled",
}
SHARED = "shared"


@dataclass(frozen=True)
class Item:
    """One survey item: its column, the scale it belongs to, whether it is reverse-keyed, and its wording."""

    column: str
    scale: str
    reverse: bool
    text: str


ITEMS = (
    Item("PU1", "attitude", False, "Using AI tools improves my performance in my job."),
    Item("PU2", "attitude", False, "Using AI tools makes it easier to do my job."),
    Item("PU3", "attitude", False, "I find AI tools useful in my job."),
    Item("AX1", "anxiety", False, "I am worried that AI tools could replace my job."),
    Item("AX2", "anxiety", False, "I am afraid that AI will make parts of my work obsolete."),
    Item("AX3", "anxiety", False, "Learning to use AI tools makes me anxious."),
    Item("SK1", "skill", False, "I can use AI tools to do parts of my work."),
    Item("SK2", "skill", False, "I can tell when an AI tool's answer is wrong or needs checking."),
    Item("SK3", "skill", False, "I know which of my tasks AI tools can help with."),
    Item("USE", "usage", False, "In the past month, how often did you use AI tools in your work?"),
    Item("PS1", "safety", True, "If you make a mistake on this team, it is often held against you."),
    Item("PS2", "safety", False, "It is safe to take a risk on this team."),
    Item("PS3", "safety", False, "Members of this team are able to bring up problems and tough issues."),
)
"""The pulse survey's items, each answered 1 (strongly disagree) to 5 (strongly agree); USE is a frequency:
1 never, 2 once or twice, 3 about weekly, 4 several times a week, 5 daily."""
SCALES = ("attitude", "anxiety", "skill", "usage", "safety")
STATES = (*SCALES[:4], "adopters", "safety")
REGULAR_USE = 3
"""USE answer from which a respondent counts as a regular user (about weekly or more), who starts as an adopter."""
RESPONDENT_COLUMNS = ("respondent", "team", *(item.column for item in ITEMS))
TEAM_ROW_COLUMNS = ("team", "respondents", *(item.column for item in ITEMS), "regular_users")


@dataclass
class Table:
    """A CSV file read as text: its path, header and rows (each with its row number; the header is row 1)."""

    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_csv(path: Path, what: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> Table:
    """Read a CSV file (UTF-8, comma-separated, a header row), refusing unknown, repeated or missing columns and
    rows with too many or too few fields."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (the {what} file).") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; the {what} file must be a CSV file.") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: byte {exc.start} is not UTF-8 text; save the {what} file as UTF-8 CSV.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} file ({exc.strerror}).") from None
    try:
        lines = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc}).") from None
    while lines and not any(cell.strip() for cell in lines[-1]):
        lines.pop()
    if not lines:
        raise InputError(f"{path}: the {what} file is empty; its first row must be the header {', '.join(allowed)}.")
    header = [cell.strip() for cell in lines[0]]
    for column, name in enumerate(header, start=1):
        if name not in allowed:
            raise InputError(
                f"{path}: row 1, column {column}: {name!r} is not a column of the {what} file; "
                f"allowed: {', '.join(allowed)}."
            )
        if header.index(name) != column - 1:
            raise InputError(f"{path}: row 1, column {column}: {name!r} appears twice in the header; once only.")
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path}: row 1: the header lacks column {', '.join(repr(m) for m in missing)}; the {what} file needs "
            f"{', '.join(required)}."
        )
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{path}: row {number} has {len(cells)} fields but the header has {len(header)}; every row needs one "
                "field per column (an empty field for a missing answer)."
            )
        rows.append((number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}))
    if not rows:
        raise InputError(f"{path}: the {what} file has a header but no rows.")
    return Table(path, header, rows)


def refuse(table: Table, number: int, column: str, value: str, allowed: str) -> InputError:
    """The error for one bad cell."""
    return InputError(f"{table.path}: row {number}, column {column!r}: value {value!r} is not allowed; {allowed}.")


def integer(table: Table, number: int, column: str, value: str, low: int, high: int) -> int:
    """A whole number in [low, high]."""
    try:
        result = int(value)
    except ValueError:
        raise refuse(table, number, column, value, f"it must be a whole number from {low} to {high}") from None
    if not low <= result <= high:
        raise refuse(table, number, column, value, f"it must be a whole number from {low} to {high}")
    return result


def number_in(table: Table, number: int, column: str, value: str, low: float, high: float) -> float:
    """A number in [low, high]."""
    try:
        result = float(value)
    except ValueError:
        result = math.nan
    if not (math.isfinite(result) and low <= result <= high):
        raise refuse(table, number, column, value, f"it must be a number from {low:g} to {high:g}")
    return result


# --- teams ------------------------------------------------------------------------------------------------


@dataclass
class OrgTeamRow:
    """One row of the teams file."""

    name: str
    function: str
    members: int
    manager: str | None
    row: int


def read_teams(path: Path) -> list[OrgTeamRow]:
    """The teams file: team, function (front office or back office), head_count, manager_team (the team the
    team's manager reports into, empty at the top)."""
    table = read_csv(path, "teams", TEAM_COLUMNS, TEAM_COLUMNS)
    teams: list[OrgTeamRow] = []
    first_row: dict[str, int] = {}
    for number, row in table.rows:
        name = row["team"]
        if not name:
            raise refuse(table, number, "team", name, "every team needs a name")
        if name in first_row:
            raise refuse(table, number, "team", name, f"team names must differ; row {first_row[name]} has it already")
        first_row[name] = number
        function = FUNCTIONS.get(row["function"].lower())
        if function is None:
            raise refuse(table, number, "function", row["function"], "allowed: front office, back office")
        members = integer(table, number, "head_count", row["head_count"], 1, 200_000)
        teams.append(OrgTeamRow(name, function, members, row["manager_team"] or None, number))
    for team in teams:
        if team.manager is not None and team.manager not in first_row:
            raise refuse(
                table, team.row, "manager_team", team.manager, "it must name a team of the team column, or be empty"
            )
    manager_of = {team.name: team.manager for team in teams}
    for team in teams:
        seen, current = [team.name], team.manager
        while current is not None:
            if current in seen:
                raise refuse(
                    table,
                    team.row,
                    "manager_team",
                    team.manager or "",
                    f"the reporting line {' -> '.join([*seen, current])} comes back to itself; it must end at a "
                    "team with an empty manager_team",
                )
            seen.append(current)
            current = manager_of[current]
    total = sum(team.members for team in teams)
    if not 10 <= total <= 200_000:
        raise InputError(f"{path}: the head counts add up to {total}; a firm must have 10 to 200,000 employees.")
    return teams


# --- the pulse survey -------------------------------------------------------------------------------------


@dataclass
class TeamEstimate:
    """One team's estimated initial state: respondents per state and the estimate written to the scenario."""

    respondents: dict[str, int] = field(default_factory=dict)
    raw: dict[str, float] = field(default_factory=dict)
    value: dict[str, float] = field(default_factory=dict)


@dataclass
class SurveyResult:
    """Team estimates and what the survey analysis did, for the summary and the scenario's comments."""

    form: str
    estimates: dict[str, TeamEstimate]
    firm_mean: dict[str, float]
    weights: dict[str, float]
    respondents: int
    too_few: dict[str, int]


def pomp(mean_answer: float | np.ndarray) -> float | np.ndarray:
    """A 1-5 answer (or mean of answers) on [0, 1]: percent of maximum possible (Cohen et al. 1999)."""
    return (mean_answer - 1) / 4


def read_survey(path: Path, teams: list[OrgTeamRow], min_respondents: int) -> SurveyResult:
    """The pulse survey, one row per respondent (columns respondent, team and the items) or one per team
    (team, respondents, the items' team means, regular_users): team estimates of each state."""
    try:
        head = path.read_text(encoding="utf-8-sig").splitlines()[:1]
    except (OSError, UnicodeDecodeError):
        head = []
    per_team = bool(head) and "respondents" in [cell.strip() for cell in next(csv.reader(head), [])]
    if per_team:
        table = read_csv(path, "survey (one row per team)", TEAM_ROW_COLUMNS, ("team", "respondents"))
    else:
        table = read_csv(path, "survey (one row per respondent)", RESPONDENT_COLUMNS, ("team",))
    names = {team.name: team for team in teams}
    items = [item for item in ITEMS if item.column in table.header]
    if not items:
        raise InputError(
            f"{path}: row 1: the header has no survey item; it needs some of {', '.join(i.column for i in ITEMS)}."
        )
    for number, row in table.rows:
        if row["team"] not in names:
            raise refuse(table, number, "team", row["team"], "it must name a team of the teams file")
    if per_team:
        return team_rows(table, teams, items, min_respondents)
    return respondent_rows(table, teams, items, min_respondents)


def answer(table: Table, number: int, item: Item, value: str, whole: bool = True) -> float:
    """One answer: empty (missing) or a number from 1 to 5 (a whole number for a respondent's answer, any for a
    team's mean answer)."""
    if value == "":
        return math.nan
    if not whole:
        return number_in(table, number, item.column, value, 1, 5)
    if value not in {"1", "2", "3", "4", "5"}:
        raise refuse(table, number, item.column, value, "an answer is a whole number from 1 to 5, or empty if missing")
    return float(value)


def scale_scores(answers: dict[str, float], items: list[Item]) -> dict[str, float]:
    """A respondent's (or team row's) score on each scale: the mean of the answered items (reverse-keyed items
    as 6 - answer) on [0, 1], if at least half the scale's items were answered; NaN otherwise."""
    scores = {}
    for scale in SCALES:
        own = [item for item in items if item.scale == scale]
        values = [6 - answers[i.column] if i.reverse else answers[i.column] for i in own]
        answered = [v for v in values if not math.isnan(v)]
        scores[scale] = float(pomp(np.mean(answered))) if own and 2 * len(answered) >= len(own) else math.nan
    return scores


def respondent_rows(table: Table, teams: list[OrgTeamRow], items: list[Item], min_respondents: int) -> SurveyResult:
    """One row per respondent: scale scores (half rule), team means, the minimum respondents, and shrinkage of
    each team's mean toward the firm's by its reliability (empirical Bayes)."""
    members = {team.name: team.members for team in teams}
    counts: Counter[str] = Counter()
    scores: dict[str, dict[str, list[float]]] = {team.name: {s: [] for s in STATES} for team in teams}
    for number, row in table.rows:
        counts[row["team"]] += 1
        if counts[row["team"]] > members[row["team"]]:
            raise refuse(
                table,
                number,
                "team",
                row["team"],
                f"the team has more respondents than its head count ({members[row['team']]} in the teams file)",
            )
        answers = {item.column: answer(table, number, item, row[item.column]) for item in items}
        for scale, score in scale_scores(answers, items).items():
            if not math.isnan(score):
                scores[row["team"]][scale].append(score)
        if "USE" in answers and not math.isnan(answers["USE"]):
            scores[row["team"]]["adopters"].append(float(answers["USE"] >= REGULAR_USE))
    estimates = {team.name: TeamEstimate() for team in teams}
    firm_mean, weights, too_few = {}, {}, {}
    for state in STATES:
        per_team = {name: np.asarray(values[state]) for name, values in scores.items()}
        everyone = np.concatenate(list(per_team.values()))
        if len(everyone) == 0:
            continue
        grand = float(everyone.mean())
        kept = {name: values for name, values in per_team.items() if len(values) >= min_respondents}
        within, between = variance_components(kept)
        firm_mean[state] = grand
        weights[state] = between / (between + within / 12) if between + within > 0 else 0.0
        too_few[state] = len(per_team) - len(kept)
        for name, values in per_team.items():
            estimate = estimates[name]
            estimate.respondents[state] = len(values)
            if name in kept:
                estimate.raw[state] = float(values.mean())
                reliability = between / (between + within / len(values)) if between > 0 else 0.0
                estimate.value[state] = grand + reliability * (estimate.raw[state] - grand)
            else:
                estimate.value[state] = grand
    return SurveyResult("respondent", estimates, firm_mean, weights, len(table.rows), too_few)


def variance_components(groups: dict[str, np.ndarray]) -> tuple[float, float]:
    """Within-team variance (pooled) and between-team variance of true team means (one-way random-effects
    ANOVA, method of moments, truncated at 0), from teams with at least one respondent."""
    groups = {name: values for name, values in groups.items() if len(values) > 0}
    if len(groups) < 2:
        return 0.0, 0.0
    sizes = np.array([len(v) for v in groups.values()], dtype=np.float64)
    means = np.array([v.mean() for v in groups.values()])
    total = sizes.sum()
    grand = float((sizes * means).sum() / total)
    df_within = total - len(groups)
    ss_within = sum(float(((v - v.mean()) ** 2).sum()) for v in groups.values())
    ms_within = ss_within / df_within if df_within > 0 else 0.0
    ms_between = float((sizes * (means - grand) ** 2).sum()) / (len(groups) - 1)
    n0 = (total - (sizes**2).sum() / total) / (len(groups) - 1)
    return ms_within, max(0.0, (ms_between - ms_within) / n0)


def team_rows(table: Table, teams: list[OrgTeamRow], items: list[Item], min_respondents: int) -> SurveyResult:
    """One row per team: the items' team means as given (no shrinkage: the answers behind them are not there),
    teams below the minimum respondents at the firm's mean."""
    members = {team.name: team.members for team in teams}
    estimates = {team.name: TeamEstimate() for team in teams}
    seen: dict[str, int] = {}
    given: dict[str, tuple[int, dict[str, float]]] = {}
    for number, row in table.rows:
        name = row["team"]
        if name in seen:
            raise refuse(table, number, "team", name, f"one row per team; row {seen[name]} has this team already")
        seen[name] = number
        respondents = integer(table, number, "respondents", row["respondents"], 0, members[name])
        answers = {item.column: answer(table, number, item, row[item.column], whole=False) for item in items}
        values = scale_scores(answers, items)
        users = row.get("regular_users", "")
        values["adopters"] = number_in(table, number, "regular_users", users, 0, 1) if users else math.nan
        given[name] = (respondents, values)
    firm_mean, too_few = {}, {}
    for state in STATES:
        rows = [(n, v[state]) for n, v in given.values() if n >= min_respondents and not math.isnan(v[state])]
        if not rows:
            continue
        firm_mean[state] = float(np.average([v for _, v in rows], weights=[n for n, _ in rows]))
        too_few[state] = len(teams) - len(rows)
    for name, estimate in estimates.items():
        respondents, values = given.get(name, (0, {}))
        for state in firm_mean:
            value = values.get(state, math.nan)
            estimate.respondents[state] = respondents if not math.isnan(value) else 0
            if respondents >= min_respondents and not math.isnan(value):
                estimate.raw[state] = estimate.value[state] = value
            else:
                estimate.value[state] = firm_mean[state]
    total = sum(n for n, _ in given.values())
    return SurveyResult("team", estimates, firm_mean, {}, total, too_few)


# --- pilots -----------------------------------------------------------------------------------------------


@dataclass
class PilotRow:
    """One row of the pilots file."""

    name: str
    team: str
    kind: str
    platform: str
    stage: str
    age: int


def read_pilots(path: Path, teams: list[OrgTeamRow]) -> list[PilotRow]:
    """The pilots file: pilot (a name, optional), team, kind (front office or back office), platform ("shared"
    or the name of another platform), stage (idea, proof of concept, pilot, production, scaled), age_weeks."""
    table = read_csv(path, "pilots", PILOT_COLUMNS, PILOT_REQUIRED)
    names = {team.name for team in teams}
    pilots = []
    platforms: list[str] = []
    for number, row in table.rows:
        if row["team"] not in names:
            raise refuse(table, number, "team", row["team"], "it must name a team of the teams file")
        kind = FUNCTIONS.get(row["kind"].lower())
        if kind is None:
            raise refuse(table, number, "kind", row["kind"], "allowed: front office, back office")
        stage = STAGE_NAMES.get(row["stage"].lower())
        if stage is None:
            raise refuse(
                table, number, "stage", row["stage"], "allowed: idea, proof of concept, pilot, production, scaled"
            )
        platform = row["platform"]
        if not platform:
            raise refuse(table, number, "platform", platform, f"give {SHARED!r} or the name of the platform")
        if platform.lower() != SHARED and platform not in platforms:
            if len(platforms) == 19:
                raise refuse(table, number, "platform", platform, "at most 19 platforms besides the shared one")
            platforms.append(platform)
        age = integer(table, number, "age_weeks", row["age_weeks"], 0, 1040)
        pilots.append(PilotRow(row.get("pilot", ""), row["team"], kind, platform, stage, age))
    return pilots


def platform_numbers(pilots: list[PilotRow]) -> dict[str, int]:
    """Platform names as the model's numbers: the shared one 0, the others 1, 2, ... in order of first mention."""
    numbers = {SHARED: 0}
    for pilot in pilots:
        numbers.setdefault(platform_key(pilot), len(numbers))
    return numbers


# --- the scenario -----------------------------------------------------------------------------------------


def organisation(
    teams_path: Path,
    survey_path: Path,
    pilots_path: Path | None,
    name: str,
    industry: str,
    min_respondents: int = 3,
) -> Imported:
    """The scenario of the firm in the files (validated), its data as written, the survey analysis and the
    platforms' numbers."""
    if industry not in INDUSTRY_THREAT:
        raise InputError(f"--industry {industry!r} is not known; allowed: {', '.join(INDUSTRY_THREAT)}.")
    teams = read_teams(teams_path)
    survey = read_survey(survey_path, teams, min_respondents)
    pilots = read_pilots(pilots_path, teams) if pilots_path is not None else []
    numbers = platform_numbers(pilots)
    per_team: dict[str, Counter[int]] = {}
    for pilot in pilots:
        per_team.setdefault(pilot.team, Counter())[numbers[platform_key(pilot)]] += 1
    employees = sum(team.members for team in teams)
    firm: dict[str, Any] = {
        "name": name,
        "employees": employees,
        "team_size": min(employees, max(3, int(np.median([t.members for t in teams])))),
        "front_office_share": round(sum(t.function == "front-office" for t in teams) / len(teams), 4),
        "industry": industry,
        "platforms": max(Firm().platforms, len(numbers)),
    }
    if "safety" in survey.firm_mean:
        safety = [survey.estimates[t.name].value["safety"] for t in teams]
        firm["levers"] = {"culture": round(float(np.average(safety, weights=[t.members for t in teams])), 4)}
    firm["teams"] = [team_entry(team, survey.estimates[team.name], per_team.get(team.name)) for team in teams]
    if pilots:
        firm["pilots"] = [{k: v for k, v in pilot_entry(pilot, numbers).items() if v != ""} for pilot in pilots]
    data = {
        "name": name,
        "description": f"{name}: {len(teams)} teams and {employees:,} employees from {teams_path.name}, initial "
        f"states from {survey_path.name}" + (f", {len(pilots)} pilots from {pilots_path.name}" if pilots_path else ""),
        "firm": firm,
    }
    try:
        scenario = Scenario.model_validate(data)
    except ValueError as exc:  # the files passed their own checks; a schema refusal here names what is left
        raise InputError(f"{teams_path}: the organisation does not make a valid scenario: {exc}") from None
    return Imported(scenario, data, survey, numbers)


@dataclass
class Imported:
    """What `organisation` made of the files."""

    scenario: Scenario
    data: dict[str, Any]
    survey: SurveyResult
    platforms: dict[str, int]

    def text(self, sources: list[Path]) -> str:
        """The scenario file's text."""
        return scenario_text(self.data, self.survey, self.platforms, sources)


def platform_key(pilot: PilotRow) -> str:
    """A pilot's platform as `platform_numbers` keys it."""
    return SHARED if pilot.platform.lower() == SHARED else pilot.platform


def team_entry(team: OrgTeamRow, estimate: TeamEstimate, platforms: Counter[int] | None) -> dict[str, Any]:
    """A team as the scenario lists it: its survey means rounded to 4 decimals, its pilots' usual platform."""
    entry: dict[str, Any] = {"name": team.name, "function": team.function, "members": team.members}
    if team.manager is not None:
        entry["manager"] = team.manager
    for state in STATES:
        if state in estimate.value:
            entry[state] = round(float(estimate.value[state]), 4)
    if platforms:
        entry["platform"] = min(platforms, key=lambda p: (-platforms[p], p))
    return entry


def pilot_entry(pilot: PilotRow, numbers: dict[str, int]) -> dict[str, Any]:
    """A pilot as the scenario lists it."""
    return {
        "name": pilot.name,
        "team": pilot.team,
        "kind": pilot.kind,
        "platform": numbers[platform_key(pilot)],
        "stage": pilot.stage,
        "age": pilot.age,
    }


def scenario_text(data: dict[str, Any], survey: SurveyResult, platforms: dict[str, int], sources: list[Path]) -> str:
    """The scenario file: a header saying where it came from and how, then the YAML."""
    lines = [
        MARKER,
        f"# from {', '.join(path.name for path in sources)}; the mapping is in docs/ODD.md, sections 5.4 and 6.1.",
        f"# Survey: {survey.respondents} respondents ({'one row per ' + survey.form}); teams below the minimum "
        "respondents take the firm's mean: " + ", ".join(f"{state} {n}" for state, n in survey.too_few.items()),
    ]
    if survey.weights:
        lines.append(
            "# Shrinkage toward the firm's mean: a team of 12 respondents keeps "
            + ", ".join(f"{state} {w:.0%}" for state, w in survey.weights.items())
            + " of its own deviation."
        )
    if len(platforms) > 1:
        lines.append("# Platforms: " + ", ".join(f"{n} {name}" for name, n in platforms.items()))
    lines.append("# Infrastructure and alignment are not in these files: set firm.levers to your own judgement.")
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
