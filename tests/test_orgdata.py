"""An organisation from its own files (`adoptsim org import`): the shipped synthetic insurer imports, compares and
reports end to end; the imported firm starts at its survey's team means and its pilots at their stages; every
kind of malformed file is refused with exit 2, naming the file, row, column and value."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.model import AdoptionModel
from sim.orgdata import organisation, read_teams, variance_components
from sim.pilots import STAGES
from sim.scenario import load_scenario
from sim.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "insurer"
FILES = {"teams": EXAMPLE / "teams.csv", "survey": EXAMPLE / "pulse.csv", "pilots": EXAMPLE / "pilots.csv"}
STAGE_OF = {"idea": "idea", "proof of concept": "poc", "pilot": "pilot", "production": "production", "scaled": "scaled"}


@pytest.fixture(scope="module")
def insurer() -> Scenario:
    """The shipped imported insurer."""
    return load_scenario(EXAMPLE / "insurer.yaml")


def import_args(out: Path, **files: Path) -> list[str]:
    """The import command's arguments, the shipped files unless others are given."""
    chosen = FILES | files
    return [
        "org", "import", "--teams", chosen["teams"], "--survey", chosen["survey"], "--pilots", chosen["pilots"],
        "--out", out, "--name", "Synthetic Insurer", "--industry", "financial-services", "--quiet",
    ]  # fmt: skip


def test_import_compare_and_report_run_end_to_end(cli, tmp_path):
    """The analyst's path: import the shipped files, compare options against the imported firm (the shipped
    comparison with fewer replicates and weeks), and write the report."""
    result = cli(*import_args(tmp_path / "my-firm.yaml"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "my-firm.yaml").read_text() == (EXAMPLE / "insurer.yaml").read_text(), (
        "the shipped insurer.yaml is not what importing the shipped files gives: run scripts/make_insurer_example.py"
    )
    comparison = yaml.safe_load((EXAMPLE / "comparison.yaml").read_text()) | {"base": "my-firm.yaml"}
    (tmp_path / "comparison.yaml").write_text(yaml.safe_dump(comparison), encoding="utf-8")
    out = tmp_path / "options"
    args = ("--out", out, "--replicates", "2", "--set", "weeks=26", "--quiet")
    result = cli("compare", tmp_path / "comparison.yaml", *args)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["arm"]) == {arm["name"] for arm in comparison["arms"]}
    assert cli("report", out).exit_code == 0
    assert "Synthetic Insurer" in (out / "report.html").read_text(encoding="utf-8")


def test_the_shipped_example_files_are_what_the_script_makes():
    """Same seed, same bytes: the script remakes the shipped CSV files exactly."""
    spec = importlib.util.spec_from_file_location("make_insurer", ROOT / "scripts" / "make_insurer_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make(2026)
    for path, text in zip(FILES.values(), made, strict=True):
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs from what seed 2026 makes"


def clipped_mean(mean: np.ndarray, sd: float) -> np.ndarray:
    """E[clip(X, 0, 1)] for X ~ N(mean, sd): what a team's simulated mean should be before sampling error."""
    a, b = (0 - mean) / sd, (1 - mean) / sd
    inside = mean * (stats.norm.cdf(b) - stats.norm.cdf(a)) + sd * (stats.norm.pdf(a) - stats.norm.pdf(b))
    return inside + (1 - stats.norm.cdf(b))


def test_the_imported_firm_starts_at_its_survey_team_means(insurer):
    """Each team's simulated members are drawn around the team's survey mean with the model's spread, then
    clipped to [0, 1]; so a team's simulated mean is the clipped normal's mean (computed exactly) plus
    sampling error of standard deviation spread / sqrt(members). Tolerance: 4.5 of those standard errors per
    team, a chance of about 7 in a million per team to exceed if the initialisation is right (about 0.7% over
    the 1,017 team-state pairs, and the seed is fixed, so the check cannot flicker), while a team started at the
    firm's mean instead of its own is off by several standard errors in the many teams whose means differ most.
    Attitude also carries the innovativeness term w (U - 1/2), of variance w^2 / 12, taken as normal in the
    clipped mean: the 0.005 added covers that approximation. Usage, adopters and safety are set, not drawn:
    they match exactly (adopters to one member's rounding)."""
    model = AdoptionModel(insurer, rng=0, compiled=False)
    w, org, p = model.workforce, model.organisation, model.params
    teams = insurer.firm.teams
    members = np.array([t.members for t in teams], dtype=np.float64)
    sums = {name: np.bincount(w.team, weights=getattr(w, name)) for name in ("prior", "anxiety", "skill", "usage")}
    spreads = {  # name: (spread, survey field, slack for the normal approximation)
        "prior": (math.hypot(p.attitude.spread, p.attitude.innovativeness_weight / math.sqrt(12)), "attitude", 0.005),
        "anxiety": (p.anxiety.spread, "anxiety", 0.0),
        "skill": (p.skill.spread, "skill", 0.0),
    }
    for name, (sd, field, slack) in spreads.items():
        survey = np.array([getattr(t, field) for t in teams])
        simulated = sums[name] / members
        standard_error = sd / np.sqrt(members)
        off = np.abs(simulated - clipped_mean(survey, sd))
        assert np.all(off <= 4.5 * standard_error + slack), (name, float((off / standard_error).max()))
        assert np.corrcoef(simulated, survey)[0, 1] > 0.5, name  # the teams' differences survive the draws
    assert np.allclose(sums["usage"] / members, [t.usage for t in teams])
    adopters = np.bincount(w.team, weights=w.adopted.astype(np.float64)) / members
    assert np.all(np.abs(adopters - [t.adopters for t in teams]) <= 0.5 / members + 1e-12)
    assert np.allclose(org.team_base_safety, [t.safety for t in teams])
    back = np.array([t.function == "back-office" for t in teams])
    assert np.array_equal(org.team_back_office, back)
    assert org.firm_teams[0] == len(teams) and org.team_represents.max() == 1


def test_the_imported_pilots_start_at_their_stages(insurer):
    """Every pilot of the file is in the table at week 0, at its stage and age, in its team and kind."""
    rows = pd.read_csv(FILES["pilots"])
    model = AdoptionModel(insurer, rng=0)
    table = model.pilots
    names = [t.name for t in insurer.firm.teams]
    assert len(table) == len(rows)
    assert [STAGES[s] for s in table.stage] == [STAGE_OF[s] for s in rows["stage"]]
    assert list(-table.week_proposed) == list(rows["age_weeks"])
    assert [names[t] for t in table.team] == list(rows["team"])
    assert [("back office", "front office")[int(k == 0)] for k in table.kind] == list(rows["kind"])
    scaled = (rows["stage"] == "scaled").sum()
    assert model.organisation.firm_knowledge[0] == (rows["stage"].isin(["production", "scaled"])).sum() + scaled


def test_small_teams_and_missing_answers_are_handled_as_documented(tmp_path):
    """The half rule (a scale scored from at least half its items), the minimum respondents (fewer: the firm's
    mean) and shrinkage (a team's estimate between its raw mean and the firm's, nearer its own with more
    respondents)."""
    teams = tmp_path / "teams.csv"
    teams.write_text(
        "team,function,head_count,manager_team\nA,front office,20,\nB,back office,20,A\nC,back office,20,A\n"
        "D,back office,4,A\n",
        encoding="utf-8",
    )
    rng = np.random.default_rng(1)
    lines = ["team,PU1,PU2,PU3"]
    for team, centre, n in (("A", 2, 15), ("B", 4, 15), ("C", 3, 4), ("D", 5, 2)):
        lines += [f"{team},{a},{b},{c}" for a, b, c in np.clip(rng.integers(-1, 2, (n, 3)) + centre, 1, 5)]
    lines.append("B,5,,")  # one answer of three: no attitude score for this respondent
    survey = tmp_path / "survey.csv"
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = organisation(teams, survey, None, "Test", "general").survey
    est = {name: e for name, e in result.estimates.items()}
    grand = result.firm_mean["attitude"]
    assert est["B"].respondents["attitude"] == 15  # the half-answered row did not count
    assert "attitude" not in est["D"].raw and est["D"].value["attitude"] == grand  # 2 < 3 respondents
    for name in ("A", "B", "C"):
        raw, value = est[name].raw["attitude"], est[name].value["attitude"]
        assert min(raw, grand) <= value <= max(raw, grand)
    keep = {n: (est[n].value["attitude"] - grand) / (est[n].raw["attitude"] - grand) for n in ("A", "B", "C")}
    assert keep["C"] < keep["A"] and keep["C"] < keep["B"]  # 4 respondents are shrunk more than 15


def test_variance_components_recover_known_ones():
    """The one-way ANOVA estimates: 300 teams of 10, true between-team variance 0.01 and within 0.04; with
    3,000 answers each estimate is within 20% (several standard errors: the between-team estimate's is about
    0.0011 here)."""
    rng = np.random.default_rng(4)
    groups = {str(i): rng.normal(rng.normal(0.5, 0.1), 0.2, 10) for i in range(300)}
    within, between = variance_components(groups)
    assert within == pytest.approx(0.04, rel=0.2) and between == pytest.approx(0.01, rel=0.2)


def bad_copy(tmp_path: Path, which: str, edit) -> Path:  # noqa: ANN001
    """A copy of one shipped file with one line edited."""
    path = tmp_path / FILES[which].name
    lines = FILES[which].read_text(encoding="utf-8").splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replace_cell(row: int, column: int, value: str):  # noqa: ANN201
    """An edit setting one cell (row numbered as in the messages: the header is row 1)."""

    def edit(lines: list[str]) -> None:
        cells = lines[row - 1].split(",")
        cells[column] = value
        lines[row - 1] = ",".join(cells)

    return edit


MALFORMED = {
    "teams: a function that is neither": (
        "teams",
        replace_cell(5, 1, "middle office"),
        ["row 5", "'function'", "'middle office'", "front office, back office"],
    ),
    "teams: a head count that is no number": (
        "teams",
        replace_cell(3, 2, "six"),
        ["row 3", "'head_count'", "'six'", "whole number"],
    ),
    "teams: a manager's team that does not exist": (
        "teams",
        replace_cell(4, 3, "Claims lead"),
        ["row 4", "'manager_team'", "'Claims lead'", "must name a team"],
    ),
    "teams: a reporting line in a circle": (
        "teams",
        replace_cell(2, 3, "Claims 01"),
        ["row 2", "'manager_team'", "comes back to itself"],
    ),
    "teams: a column too many": (
        "teams",
        lambda lines: lines.__setitem__(0, lines[0] + ",cost_centre"),
        ["row 1", "column 5", "'cost_centre'", "allowed: team, function, head_count, manager_team"],
    ),
    "survey: an answer of 7": (
        "survey",
        replace_cell(10, 4, "7"),
        ["row 10", "'PU3'", "'7'", "whole number from 1 to 5"],
    ),
    "survey: a team not in the teams file": (
        "survey",
        replace_cell(6, 1, "Claims 99"),
        ["row 6", "'team'", "'Claims 99'", "a team of the teams file"],
    ),
    "survey: a row with a field missing": (
        "survey",
        lambda lines: lines.__setitem__(8, lines[8].rsplit(",", 1)[0]),
        ["row 9", "14 fields", "15"],
    ),
    "pilots: an unknown stage": (
        "pilots",
        replace_cell(7, 4, "live"),
        ["row 7", "'stage'", "'live'", "idea, proof of concept, pilot, production, scaled"],
    ),
    "pilots: a negative age": ("pilots", replace_cell(3, 5, "-4"), ["row 3", "'age_weeks'", "'-4'", "from 0 to 1040"]),
    "pilots: a missing column": (
        "pilots",
        lambda lines: lines.__setitem__(0, lines[0].replace("stage", "phase")),
        ["row 1", "'phase'", "allowed"],
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_file_is_refused_naming_row_and_column(cli, tmp_path, case):
    which, edit, fragments = MALFORMED[case]
    path = bad_copy(tmp_path, which, edit)
    out = tmp_path / "firm.yaml"
    result = cli(*import_args(out, **{which: path}))
    assert result.exit_code == 2, result.stdout
    for fragment in [str(path), *fragments]:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_more_respondents_than_head_count_is_refused(cli, tmp_path):
    teams = bad_copy(tmp_path, "teams", replace_cell(2, 2, "1"))  # the executive office: 1 employee
    result = cli(*import_args(tmp_path / "firm.yaml", teams=teams))
    assert result.exit_code == 2
    assert "row 3" in result.stderr and "more respondents than its head count (1" in result.stderr


def test_a_file_not_written_by_the_importer_is_never_replaced_without_force(cli, tmp_path):
    out = tmp_path / "firm.yaml"
    out.write_text("name: my own scenario\n", encoding="utf-8")
    result = cli(*import_args(out))
    assert result.exit_code == 2 and "left alone" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "name: my own scenario\n"
    assert cli(*import_args(out), "--force").exit_code == 0
    assert cli(*import_args(out)).exit_code == 0  # its own earlier output may be replaced


def test_a_firm_without_teams_dumps_as_before_and_teams_need_their_checks(tmp_path):
    """Absent, teams and pilots are not in a dump (digests and written scenarios are unchanged); present, the
    schema checks head counts, names, the reporting line and what pilots name."""
    assert {"teams", "pilots"}.isdisjoint(Scenario().model_dump(mode="json")["firm"])
    team = {"name": "A", "function": "front-office", "members": 12}
    bad = {
        "head counts": ({"employees": 13, "teams": [team]}, "add up to 12"),
        "pilots without teams": (
            {"pilots": [{"team": "A", "kind": "front-office", "stage": "poc"}]},
            "need the firm's own teams",
        ),
        "unknown pilot team": (
            {"employees": 12, "teams": [team], "pilots": [{"team": "B", "kind": "back-office", "stage": "idea"}]},
            "pilots.0.team = 'B'",
        ),
        "manager cycle": (
            {"employees": 24, "teams": [team | {"manager": "B"}, team | {"name": "B", "manager": "A"}]},
            "comes back",
        ),
    }
    for name, (firm, fragment) in bad.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"firm": firm}), encoding="utf-8")
        with pytest.raises(Exception, match=fragment.replace("(", r"\(")):
            load_scenario(path)
    assert len(read_teams(FILES["teams"])) == 339


def test_a_survey_of_team_means_is_used_as_given_past_the_minimum(cli, tmp_path):
    """One row per team: the items' team means on 0-1 as given, `regular_users` as the adopters, a team below
    the minimum respondents at the respondent-weighted firm mean, and a respondents count above the head count
    refused."""
    teams = tmp_path / "teams.csv"
    teams.write_text(
        "team,function,head_count,manager_team\nA,front office,10,\nB,back office,10,A\n", encoding="utf-8"
    )
    survey = tmp_path / "survey.csv"
    survey.write_text("team,respondents,PU1,PU2,regular_users\nA,8,4.2,3.8,0.5\nB,2,2,2,0.1\n", encoding="utf-8")
    out = tmp_path / "firm.yaml"
    result = cli("org", "import", "--teams", teams, "--survey", survey, "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    a, b = load_scenario(out).firm.teams
    assert a.attitude == pytest.approx(0.75) and a.adopters == pytest.approx(0.5)
    assert b.attitude == pytest.approx(0.75) and b.adopters == pytest.approx(0.5)  # 2 < 3: the firm's mean
    survey.write_text("team,respondents,PU1\nA,11,4\n", encoding="utf-8")
    result = cli("org", "import", "--teams", teams, "--survey", survey, "--out", out, "--quiet")
    assert result.exit_code == 2 and "row 2, column 'respondents': value '11'" in result.stderr


def test_the_scenario_team_means_are_the_survey_team_means_shrunk_toward_the_firm(insurer):
    """Recomputed here with pandas from pulse.csv: each team's attitude (PU items, POMP, half rule) and safety
    (PS1 reversed). A team's scenario value lies between its raw mean and the firm's (shrinkage never
    overshoots), and the values follow the raw means closely across teams with 5 or more respondents."""
    answers = pd.read_csv(FILES["survey"])
    answers["PS1"] = 6 - answers["PS1"]
    scenario = {t.name: t for t in insurer.firm.teams}
    for state, items in (("attitude", ["PU1", "PU2", "PU3"]), ("safety", ["PS1", "PS2", "PS3"])):
        answered = answers[items].notna().sum(axis=1) >= 2
        score = ((answers[items].mean(axis=1) - 1) / 4)[answered]
        teams = answers.loc[answered, "team"]
        grand = score.mean()
        raw = score.groupby(teams).mean()
        count = score.groupby(teams).size()
        value = pd.Series({name: getattr(scenario[name], state) for name in raw.index})
        big = count[count >= 5].index
        low, high = np.minimum(raw, grand), np.maximum(raw, grand)
        assert ((value[big] >= low[big] - 1e-4) & (value[big] <= high[big] + 1e-4)).all(), state
        assert np.corrcoef(value[big], raw[big])[0, 1] > 0.9, state
