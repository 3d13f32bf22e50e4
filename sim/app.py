"""The classroom app: a Solara page, in the style of Mesa's SolaraViz, that shows one organisation adopting AI,
week by week, on a projector.

Start it with `adoptsim app [SCENARIO]`, which serves this file with Solara on 127.0.0.1 and passes the
scenario to start from in the environment (see `sim.classroom.app_environment`; the baseline by default).

The sidebar has play, step and reset, the speed, and the classroom settings, which take effect on Reset (a new
`ClassroomModel` from them) or return to the lesson's with "Restore lesson settings". The main area has three
tabs, like NetLogo's Interface and Info: *Interface* (the key counts, the organisation, the pilot funnel, the
chart and the event feed), *Runs* (every finished or reset run as a row, two runs side by side, downloads) and
*Info* (the lesson's question, steps and prompts from docs/teaching.md, and the model in plain words).

The controls are built here rather than taken from SolaraViz's controller: its play loop stepped the model in
one thread while another drew it (a chart could read 84 weeks and 85 values: "shape mismatch"), stepped past
the horizon when a frame showed several weeks ("Week 105 of 104"), and offered "Use Threads", whose drawing
thread could stop before the last week and leave the screen frozen. Here there is one play loop; every step and
every picture holds the model's lock; a frame stops at the horizon. Text is plain HTML (solara's Markdown would
fetch KaTeX from a CDN). Downloads are made in the browser from data the page already has: nothing leaves the
machine.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import numpy as np
import reacton.core
import solara
import solara.lab

from sim.classroom import ClassroomModel, funnel_counts, scenario_from_environment
from sim.picture import (
    ANXIETY_COLOUR,
    ENGAGEMENT_COLOUR,
    FUNNEL_COLOURS,
    PREVIOUS_ALPHA,
    STATE_COLOURS,
    STATE_LABELS,
    TEAM_COLOURS,
    USAGE_COLOUR,
    LiveFigure,
    chart_png,
    comparison_png,
    organisation_figure,
    trajectory,
    trends_figure,
)
from sim.schema import Scenario
from sim.state import team_sizes

APP_TEAMS = 25
"""The app opens with at most this many teams (300 people in teams of 12) so that every dot stays visible."""
DPI = 100
"""Resolution of the network picture sent to the browser."""
CHART_DPI = 150
"""Resolution of the chart: crisp when a large window shows it twice as wide as at 1024x768."""
PLAY_INTERVAL = 100
"""Milliseconds between frames when playing, to start with."""
FEED_LENGTH = 40
"""Events shown in the feed, newest first (it scrolls)."""
TEACHING = Path(__file__).resolve().parent.parent / "docs" / "teaching.md"
"""Where the lessons' questions, steps and prompts are written (shown in the Info tab when present)."""
CHART_TITLES = {
    "usage-not-adoption": "Usage is not adoption",
    "fragmentation": "Fragmentation: usage and engagement",
    "three-foundations": "Three foundations: usage and engagement",
}
"""Each lesson's chart title; other scenarios get DEFAULT_CHART_TITLE."""
DEFAULT_CHART_TITLE = "Usage, engagement and anxiety"

INFO = """
### What is this?
A simulated organisation adopting AI. Every dot is an employee, grouped in teams (sand-coloured discs:
front-office teams such as marketing and sales; pale green: back-office teams such as operations and finance).
Grey lines are the ties people have to colleagues in other teams.

### How it works
Each step is one week. Employees **use** AI either because they believe in it (committed use) or because
they feel pushed (compliance under a mandate, fear of being left behind). Only committed use, in a team where
experimenting feels safe, turns into **engagement**: AI woven into their work. Anxiety rises with the
industry's threat and with what people see around them, and falls with skill and psychological safety.
Colleagues influence each other inside teams and across ties.

Teams propose **pilots**. A pilot moves from idea to proof of concept, pilot, production and finally scale
across teams, if the owning team is engaged, the infrastructure can carry it, a sponsor backs it, and (to
scale) it runs on the shared platform without rival copies elsewhere. Otherwise it stalls and, after a while,
is abandoned.

Colours: grey, non-user; orange, **compliant user** (uses AI without having adopted it, often anxiously); sky blue,
committed user; green, **engaged adopter**. On the chart: vermilion, regular users (what a dashboard counts);
green, engaged adopters; dashed purple, mean AI anxiety; faint lines, the previous run.

### The controls
- **Step** moves one frame, **▶** plays (it becomes ❚❚, pause), **Reset** starts a new run with the settings
  on the sliders. **Restore lesson settings** puts every slider back where the lesson started and starts
  a new run.
- *Play interval* is the pause between frames (lower is faster); *Render interval* is the number of weeks a
  frame moves on (raise it on a slow projector). A run always ends at its last week.
- Every run that ends, or that you reset after at least a week, is kept in the **Runs** tab: a table of its
  settings and results, two runs side by side, and downloads of the table (CSV) and the charts (PNG). The
  previous run shows as faint lines on the chart. The runs are kept until the page is reloaded.

### Things to try
- Press Step a few times, then ▶. Watch the vermilion and green lines part: dashboards count usage, not adoption.
- Raise the **usage mandate** and press Reset: usage shoots up, engagement does not.
- Raise **industry threat**: anxiety climbs and compliance replaces commitment.
- Raise the three foundations one at a time, then all three together, and compare the funnel.
- Double the **pilot intake**: more pilots, more duplicates, not more at scale.
- Change the **seed** to see another firm with the same settings: which results are luck?

The app opens with at most 25 teams so that every dot stays visible. Ready-made lessons:
`adoptsim app lessons/usage-not-adoption`, `lessons/fragmentation` and `lessons/three-foundations` (see
docs/teaching.md).
"""

CSS = """
.v-application { font-size: 18px; }
nav.v-navigation-drawer { width: 300px !important; min-width: 300px !important; }
main.v-content[style*="400px"] { padding-left: 300px !important; }
.v-navigation-drawer .v-card__title { font-size: 19px; padding-bottom: 4px; }
.v-toolbar__title { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.v-card__title, .v-toolbar__title, h1, h2, h3, h4 { word-break: normal !important; overflow-wrap: normal;
  hyphens: none; }
.adoptsim-main { font-size: 18px; line-height: 1.35; }
.adoptsim-main .v-btn, .v-navigation-drawer .v-btn { font-size: 16px; text-transform: none; letter-spacing: normal; }
.adoptsim-main h3 { font-size: 20px; margin: 6px 0 4px; font-weight: 600; }
.adoptsim-status { font-size: 17px; margin: 2px 0 6px; }
.adoptsim-status b { font-size: 22px; }
.adoptsim-counts { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
.adoptsim-count { flex: 1 1 0; min-width: 5.5em; border: 1px solid #ddd; border-radius: 6px; padding: 2px 8px;
  background: #fafafa; }
.adoptsim-count .value { font-size: 26px; font-weight: 700; line-height: 1.2; }
.adoptsim-count .label { font-size: 16px; color: #333; line-height: 1.15; padding-bottom: 2px; }
.adoptsim-grid { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 12px; }
.adoptsim-grid > div { min-width: 0; align-self: start; }
img.adoptsim-picture { width: 100%; height: auto; display: block; object-fit: contain; object-position: left top; }
img.adoptsim-trends { max-height: 46vh; }
img.adoptsim-organisation { max-height: 72vh; }
.adoptsim-funnel { width: 100%; border-collapse: collapse; font-size: 17px; }
.adoptsim-funnel td { padding: 1px 4px; }
.adoptsim-legend { font-size: 16px; margin: 2px 0; }
.adoptsim-legend span.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 50%;
  vertical-align: -2px; margin: 0 4px 0 8px; }
.adoptsim-legend span.line { display: inline-block; width: 22px; height: 0; border-top: 4px solid;
  vertical-align: 4px; margin: 0 4px 0 8px; }
.adoptsim-feed { max-height: 14em; overflow-y: auto; font-size: 17px; margin: 0; padding-left: 1.2em; }
.adoptsim-history, .adoptsim-compare { border-collapse: collapse; font-size: 17px; }
.adoptsim-history th, .adoptsim-history td, .adoptsim-compare th, .adoptsim-compare td {
  border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
.adoptsim-history th:first-child, .adoptsim-compare th:first-child { text-align: left; }
.adoptsim-scroll { overflow-x: auto; max-width: 100%; }
.adoptsim-info { max-width: 60em; font-size: 18px; padding-bottom: 48px; }
.adoptsim-info strong, .adoptsim-main strong { font-weight: 700; }
.adoptsim-info hr { margin: 16px 0; }
.adoptsim-changed { color: #b35806; font-weight: 600; }
.v-navigation-drawer .v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-navigation-drawer .v-input__slider .v-label { flex: 1 0 100%; font-size: 16px !important; color: #222 !important;
  margin-bottom: -2px; line-height: 1.25; }
.v-navigation-drawer .v-input__slider .v-slider { margin-left: 0; }
.v-navigation-drawer .v-card__text { padding-bottom: 8px; }
.adoptsim-status { font-size: 16px !important; }
"""


@dataclass(frozen=True)
class Setting:
    """A classroom setting: its slider's label and range, and how its value is written."""

    label: str
    low: float
    high: float
    step: float
    places: int | None = 2
    """Decimal places of a float setting; None for a whole number."""

    def text(self, value: float) -> str:
        """The value as the slider's label and the tables show it."""
        return f"{int(value)}" if self.places is None else f"{value:.{self.places}f}"


SLIDERS = {
    "infrastructure": Setting("Infrastructure", 0, 1, 0.05),
    "alignment": Setting("Strategic direction", 0, 1, 0.05),
    "culture": Setting("Culture", 0, 1, 0.05),
    "threat": Setting("Industry threat", 0, 1, 0.05),
    "mandate": Setting("Usage mandate", 0, 1, 0.05),
    "intake": Setting("Pilot intake", 0, 0.1, 0.005, 3),
    "teams": Setting("Number of teams", 2, 60, 1, None),
    "team_size": Setting("Team size", 3, 30, 1, None),
    "seed": Setting("Seed", 0, 99, 1, None),
}
"""The classroom settings in the sidebar, in order."""


def lesson_settings(base: Scenario) -> dict[str, float]:
    """The settings of the lesson (or scenario) the app was started with: where its sliders start, and what
    "Restore lesson settings" puts them back to."""
    firm = base.firm
    return {
        "infrastructure": firm.levers.infrastructure,
        "alignment": firm.levers.alignment,
        "culture": firm.levers.culture,
        "threat": firm.perceived_threat,
        "mandate": firm.mandate,
        "intake": base.params.pilots.intake,
        "teams": min(len(team_sizes(firm)), APP_TEAMS),
        "team_size": firm.team_size,
        "seed": 0,
    }


def classroom_settings(base: Scenario) -> dict:
    """The keywords of `ClassroomModel` for the lesson: the base scenario and the lesson's settings."""
    return {"base": base, **lesson_settings(base)}


def initial_model(settings: dict) -> ClassroomModel:
    """The model the app opens with: the lesson's settings."""
    return ClassroomModel(**settings)


@dataclass(frozen=True)
class Lesson:
    """What the app says about the lesson it shows: its title, its chart's title, and its question, steps and
    discussion prompts as HTML (empty for a scenario that is not a lesson)."""

    name: str
    title: str
    chart_title: str
    guide_html: str = ""

    @classmethod
    def of(cls, base: Scenario, teaching: Path = TEACHING) -> Lesson:
        """The lesson from docs/teaching.md whose section opens this scenario (`adoptsim app lessons/NAME`)."""
        chart_title = CHART_TITLES.get(base.name, DEFAULT_CHART_TITLE)
        try:
            text = teaching.read_text(encoding="utf-8")
        except OSError:
            text = ""
        for section in re.split(r"\n(?=## )", text):
            heading, _, body = section.partition("\n")
            if heading.startswith("## Lesson") and f"adoptsim app lessons/{base.name}`" in body:
                title = heading.removeprefix("## ").strip()
                guide = re.sub(r"\*\*What students should see\.\*\*.*?(?=\*\*Discussion prompts)", "", body, flags=re.S)
                guide = guide.split("\n---")[0]
                guide = separate_lists(guide)
                return cls(base.name, title, chart_title, markdown.markdown(f"### {title}\n{guide}"))
        return cls(base.name, f"adoptsim classroom: {base.name}", chart_title)


def separate_lists(text: str) -> str:
    """A blank line before each list that follows a paragraph directly (Python-Markdown needs one)."""
    lines, item = [], re.compile(r"(\d+\.|-) ")
    for line in text.splitlines():
        if item.match(line) and lines and lines[-1].strip() and not item.match(lines[-1].lstrip()):
            if not lines[-1].startswith(" "):
                lines.append("")
        lines.append(line)
    return "\n".join(lines)


def advance(model: ClassroomModel, weeks: int) -> None:
    """Up to `weeks` weeks of the model, stopping at its horizon, under the model's lock."""
    with model.lock:
        for _ in range(weeks):
            if model.finished:
                break
            model.step()


def wait_for_the_screen(render_context) -> None:
    """Return once no render pass of the page is under way.

    A state change made while another thread renders is left to that thread, which then renders again; a play
    loop that changes the week faster than a pass takes keeps that thread rendering until the framework gives
    up ("Too many renders triggered"), which a slow machine at a 1 ms play interval reached. Waiting for the
    page's render lock before each change makes every frame a pass of its own: the change then renders in the
    play loop's own thread, and the loop can never outrun the screen. (reacton keeps the lock as
    `thread_lock`; without it, as in a reacton that renamed it, this waits for nothing.)"""
    lock = getattr(render_context, "thread_lock", None)
    if lock is not None:
        with lock:
            pass


def picture_png(live: LiveFigure, model: ClassroomModel) -> bytes:
    """A live picture of the model as PNG, drawn while the model does not step."""
    with model.lock:
        return live.png(model)


# ---- what the Interface shows ------------------------------------------------------------------------------


def key_counts(model: ClassroomModel) -> dict[str, str]:
    """The numbers a class watches: regular users and engaged adopters (share of employees), mean anxiety, and
    the pilots scaled, duplicated and the platforms in use."""
    summary = model.summary()
    return {
        "regular users": f"{summary.get('usage_rate', 0):.0%}",
        "engaged adopters": f"{summary.get('engagement_rate', 0):.0%}",
        "mean AI anxiety": f"{summary.get('mean_anxiety', 0):.2f}",
        "pilots scaled": f"{summary.get('pilots_scaled', 0)}",
        "duplicate pilots": f"{summary.get('duplicate_pilots', 0)}",
        "platforms in use": f"{summary.get('platforms_in_use', 0)}",
    }


def counts_html(counts: dict[str, str]) -> str:
    """The key counts as tiles."""
    return "".join(
        f"<div class='adoptsim-count'><div class='value'>{value}</div><div class='label'>{html.escape(label)}</div>"
        "</div>"
        for label, value in counts.items()
    )


def status_line(model: ClassroomModel) -> str:
    """The week and the firm's set-up in words, as HTML."""
    firm = model.spec.firm
    levers = firm.levers
    return (
        f"<b>Week {model.week}</b> of {model.spec.weeks} · {firm.employees} employees in "
        f"{model.organisation.n_teams} teams · infrastructure {levers.infrastructure:.2f}, "
        f"direction {levers.alignment:.2f}, culture {levers.culture:.2f} · threat {firm.perceived_threat:.2f}, "
        f"mandate {firm.mandate:.2f}, pilot intake {model.params.pilots.intake:.3f} · seed {model.seed}"
    )


def funnel_rows(model: ClassroomModel) -> str:
    """The pilot funnel as HTML table rows: a label, a bar as wide as the count, the count."""
    counts = funnel_counts(model.pilots)
    widest = max(*counts.values(), 1)
    return "".join(
        f"<tr><td style='white-space:nowrap'>{label}</td><td style='width:60%'>"
        f"<div style='background:{colour};width:{100 * count / widest:.1f}%;height:18px'></div></td>"
        f"<td style='text-align:right'>{count}</td></tr>"
        for (label, count), colour in zip(counts.items(), FUNNEL_COLOURS, strict=True)
    )


def platforms_line(model: ClassroomModel) -> str:
    """Duplicates started and merged, and how many pilots run on each platform, in words (lesson 2: rival copies
    on incompatible platforms, and what governance does about them)."""
    platforms = np.asarray(model.pilots.platform)
    if not len(platforms):
        return "No pilots yet."
    summary = model.summary()
    duplicates = (
        f"Duplicate pilots: {summary.get('duplicate_pilots', 0)} started, "
        f"{summary.get('duplicates_merged', 0)} merged by governance before they started."
    )
    numbers, counts = np.unique(platforms, return_counts=True)
    parts = ", ".join(f"platform {int(n) + 1}: {c}" for n, c in zip(numbers, counts, strict=True))
    return f"{duplicates} Pilots by platform: {parts}."


def feed_items(model: ClassroomModel) -> str:
    """The latest pilot events, newest first, as HTML list items."""
    latest = model.events[::-1][:FEED_LENGTH]
    return "".join(f"<li>{html.escape(event)}</li>" for event in latest) or "<li>Nothing yet: press Step or ▶.</li>"


def state_legend(model: ClassroomModel) -> str:
    """The dots' colours with this week's count of each, and the teams' discs."""
    counts = np.bincount(model.employee_states(), minlength=len(STATE_LABELS))
    states = "".join(
        f"<span style='white-space:nowrap'><span class='swatch' style='background:{colour}'></span>{label}: "
        f"<b>{count}</b></span> "
        for colour, label, count in zip(STATE_COLOURS, STATE_LABELS, counts, strict=True)
    )
    teams = "".join(
        f"<span style='white-space:nowrap'><span class='swatch' style='background:{TEAM_COLOURS[back]};"
        f"border:1px solid #bbb'></span>{name}</span> "
        for back, name in ((False, "front-office team"), (True, "back-office team"))
    )
    return f"{states}<br>{teams}"


def chart_legend(previous: bool) -> str:
    """The chart's lines in words."""
    lines = [(USAGE_COLOUR, "solid", "regular users"), (ENGAGEMENT_COLOUR, "solid", "engaged adopters")]
    lines.append((ANXIETY_COLOUR, "dashed", "mean AI anxiety"))
    text = "".join(
        f"<span style='white-space:nowrap'><span class='line' style='border-top-color:{colour};"
        f"border-top-style:{style}'></span>{label}</span> "
        for colour, style, label in lines
    )
    if previous:
        text += f"<span style='white-space:nowrap;opacity:{PREVIOUS_ALPHA + 0.3}'>· faint: the previous run</span>"
    return text


@dataclass
class View:
    """Everything the Interface shows of the model at one moment, read under the model's lock."""

    status: str
    counts: str
    legend: str
    funnel: str
    platforms: str
    feed: str
    organisation: bytes
    trends: bytes

    @classmethod
    def of(cls, model: ClassroomModel, organisation: LiveFigure, trends: LiveFigure) -> View:
        """The model now, with its two pictures."""
        with model.lock:
            return cls(
                status_line(model),
                counts_html(key_counts(model)),
                state_legend(model),
                funnel_rows(model),
                html.escape(platforms_line(model)),
                feed_items(model),
                organisation.png(model),
                trends.png(model),
            )


# ---- run history ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Run:
    """A finished or reset run: its settings, its results and its lines, for the Runs tab."""

    number: int
    settings: dict[str, float]
    results: dict[str, float]
    series: dict[str, np.ndarray] = field(repr=False)

    @classmethod
    def of(cls, model: ClassroomModel, number: int) -> Run:
        """The model's run as it stands."""
        with model.lock:
            summary = model.summary()
            counts = funnel_counts(model.pilots)
            results = {
                "week": model.week,
                "regular users": summary.get("usage_rate", 0.0),
                "engaged adopters": summary.get("engagement_rate", 0.0),
                "mean AI anxiety": summary.get("mean_anxiety", 0.0),
                "pilot ideas": counts["ideas"],
                "in production": counts["in production"],
                "pilots scaled": counts["scaled"],
                "duplicate pilots": summary.get("duplicate_pilots", 0),
                "duplicates merged": summary.get("duplicates_merged", 0),
                "platforms in use": summary.get("platforms_in_use", 0),
            }
            return cls(number, {name: model.settings[name] for name in SLIDERS}, results, trajectory(model))

    @property
    def name(self) -> str:
        return f"Run {self.number}"

    def setting_text(self, name: str) -> str:
        return SLIDERS[name].text(self.settings[name])

    def result_text(self, name: str) -> str:
        value = self.results[name]
        if name in ("regular users", "engaged adopters"):
            return f"{value:.0%}"
        return f"{value:.2f}" if name == "mean AI anxiety" else f"{int(value)}"


SHORT_NAMES = {
    "infrastructure": "infra&shy;structure",
    "alignment": "direction",
    "culture": "culture",
    "threat": "threat",
    "mandate": "mandate",
    "intake": "intake",
    "teams": "teams",
    "team_size": "team size",
    "seed": "seed",
}
"""Column headings of the settings in the history table."""
RESULT_COLUMNS = (
    "week",
    "regular users",
    "engaged adopters",
    "mean AI anxiety",
    "pilot ideas",
    "in production",
    "pilots scaled",
    "duplicate pilots",
    "platforms in use",
)

RESULT_HEADINGS = {
    "regular users": "users",
    "engaged adopters": "engaged",
    "mean AI anxiety": "anxiety",
    "pilot ideas": "ideas",
    "in production": "in prod&shy;uction",
    "pilots scaled": "scaled",
    "duplicate pilots": "dupli&shy;cates",
    "platforms in use": "plat&shy;forms",
}
"""Short column headings of the results in the history table (the CSV has the full names)."""
FRACTIONS = ("regular users", "engaged adopters", "mean AI anxiety")
"""Results that are shares or means (the others are counts)."""


def history_html(runs: list[Run], lesson: dict[str, float]) -> str:
    """The runs as an HTML table: the settings that some run changed from the lesson's (highlighted where they
    differ), then the results. (The CSV has every setting.)"""
    changed = [name for name in SLIDERS if any(run.settings[name] != lesson[name] for run in runs)]
    head = "".join(f"<th>{SHORT_NAMES[name]}</th>" for name in changed) + "".join(
        f"<th>{RESULT_HEADINGS.get(name, name)}</th>" for name in RESULT_COLUMNS
    )
    rows = []
    for run in runs:
        cells = "".join(
            f"<td class='{'adoptsim-changed' if run.settings[n] != lesson[n] else ''}'>{run.setting_text(n)}</td>"
            for n in changed
        )
        cells += "".join(f"<td>{run.result_text(n)}</td>" for n in RESULT_COLUMNS)
        rows.append(f"<tr><th>{run.name}</th>{cells}</tr>")
    return f"<thead><tr><th>run</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"


def history_csv(runs: list[Run]) -> str:
    """The runs as CSV: a row each, the settings then the results (shares as fractions)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", *SLIDERS, *(name.replace(" ", "_") for name in RESULT_COLUMNS), "duplicates_merged"])
    for run in runs:
        results = [
            round(float(run.results[name]), 4) if name in FRACTIONS else int(run.results[name])
            for name in RESULT_COLUMNS
        ]
        writer.writerow([run.number, *(run.settings[n] for n in SLIDERS), *results, run.results["duplicates merged"]])
    return out.getvalue()


def panel_name(run: Run, pair: list[Run]) -> str:
    """A run's name above the settings in which the runs compared differ (two to a line, at most four)."""
    differ = [name for name in SLIDERS if len({other.settings[name] for other in pair}) > 1]
    parts = [f"{SHORT_NAMES[name].replace('&shy;', '')} {run.setting_text(name)}" for name in differ[:4]]
    lines = [", ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    return "\n".join([run.name, *lines])


def comparison_html(first: Run, second: Run) -> str:
    """Two runs side by side: each setting and result, the ones that differ highlighted."""
    rows = []
    for name, setting in SLIDERS.items():
        a, b = first.setting_text(name), second.setting_text(name)
        mark = " class='adoptsim-changed'" if a != b else ""
        rows.append(f"<tr{mark}><th>{setting.label}</th><td>{a}</td><td>{b}</td></tr>")
    for name in RESULT_COLUMNS:
        a, b = first.result_text(name), second.result_text(name)
        rows.append(f"<tr><th>{name}</th><td><b>{a}</b></td><td><b>{b}</b></td></tr>")
    head = f"<thead><tr><th></th><th>{first.name}</th><th>{second.name}</th></tr></thead>"
    return head + "<tbody>" + "".join(rows) + "</tbody>"


# ---- components ----------------------------------------------------------------------------------------------


@solara.component
def Interface(model: ClassroomModel, frame: int, previous: Run | None, lesson: Lesson):
    """The key counts; the organisation beside the pilot funnel and the chart; what happened lately."""
    organisation = solara.use_memo(lambda: organisation_figure(model, DPI), [model])
    trends = solara.use_memo(
        lambda: trends_figure(model, CHART_DPI, previous.series if previous else None), [model, previous]
    )
    view = solara.use_memo(lambda: View.of(model, organisation, trends), [model, frame, organisation, trends])
    with solara.Div(classes=["adoptsim-main"]):
        solara.HTML(tag="div", unsafe_innerHTML=view.status, classes=["adoptsim-status"])
        solara.HTML(tag="div", unsafe_innerHTML=view.counts, classes=["adoptsim-counts"])
        with solara.Div(classes=["adoptsim-grid"]):
            with solara.Div():
                solara.HTML(tag="h3", unsafe_innerHTML="The organisation")
                solara.Image(view.organisation, classes=["adoptsim-picture", "adoptsim-organisation"])
                solara.HTML(tag="div", unsafe_innerHTML=view.legend, classes=["adoptsim-legend"])
            with solara.Div():
                solara.HTML(tag="h3", unsafe_innerHTML="The pilot funnel")
                solara.HTML(tag="table", unsafe_innerHTML=view.funnel, classes=["adoptsim-funnel"])
                solara.HTML(tag="div", unsafe_innerHTML=view.platforms, classes=["adoptsim-legend"])
                solara.HTML(
                    tag="h3", unsafe_innerHTML=html.escape(lesson.chart_title), classes=["adoptsim-chart-title"]
                )
                solara.Image(view.trends, classes=["adoptsim-picture", "adoptsim-trends"])
                solara.HTML(tag="div", unsafe_innerHTML=chart_legend(previous is not None), classes=["adoptsim-legend"])
        solara.HTML(tag="h3", unsafe_innerHTML="What happened (newest first)")
        solara.HTML(tag="ul", unsafe_innerHTML=view.feed, classes=["adoptsim-feed"])
        with solara.Row():
            solara.FileDownload(
                lambda: chart_png(model, f"{lesson.title}: week {model.week}", previous.series if previous else None),
                filename=f"{lesson.name}-chart-week-{model.week}.png",
                label="Download the chart (PNG)",
                mime_type="image/png",
            )
            solara.FileDownload(
                lambda: picture_png(organisation_figure(model, 150, 6), model),
                filename=f"{lesson.name}-organisation-week-{model.week}.png",
                label="Download the organisation (PNG)",
                mime_type="image/png",
            )


@solara.component
def Runs(runs: list[Run], lesson: Lesson, base_settings: dict[str, float], horizon: int):
    """The history table, its CSV, and two runs side by side."""
    names = [run.name for run in runs]
    first = solara.use_reactive(None)
    second = solara.use_reactive(None)
    a = first.value if first.value in names else names[-2] if len(names) > 1 else None
    b = second.value if second.value in names else names[-1] if len(names) > 1 else None
    pair = [runs[names.index(a)], runs[names.index(b)]] if a and b else []
    picture = solara.use_memo(
        lambda: (
            comparison_png([(panel_name(r, pair), r.series) for r in pair], horizon, lesson.title) if pair else None
        ),
        [a, b, len(runs)],
    )
    with solara.Div(classes=["adoptsim-main"]):
        solara.HTML(tag="h3", unsafe_innerHTML=f"Runs of {html.escape(lesson.title)}")
        if not runs:
            solara.HTML(
                tag="p",
                unsafe_innerHTML="No runs yet. A run is kept here when it reaches its last week, or when you press "
                "Reset or Restore lesson settings after at least a week.",
            )
        else:
            with solara.Div(classes=["adoptsim-scroll"]):
                solara.HTML(
                    tag="table", unsafe_innerHTML=history_html(runs, base_settings), classes=["adoptsim-history"]
                )
            solara.HTML(
                tag="p",
                unsafe_innerHTML="Settings shown: those changed from the lesson's in some run (<span "
                "class='adoptsim-changed'>highlighted</span> where they differ); the CSV has them all.",
                classes=["adoptsim-legend"],
            )
            solara.FileDownload(
                history_csv(runs),
                filename=f"{lesson.name}-runs.csv",
                label="Download the table (CSV)",
                mime_type="text/csv",
            )
        if pair:
            left, right = pair
            solara.HTML(tag="h3", unsafe_innerHTML="Two runs side by side")
            with solara.Row():
                solara.Select("Left", values=names, value=a, on_value=first.set)
                solara.Select("Right", values=names, value=b, on_value=second.set)
            solara.Image(picture, classes=["adoptsim-picture", "adoptsim-comparison"])
            solara.FileDownload(
                picture,
                filename=f"{lesson.name}-{left.name}-{right.name}.png".replace(" ", "-").lower(),
                label="Download the comparison (PNG)",
                mime_type="image/png",
            )
            with solara.Div(classes=["adoptsim-scroll"]):
                solara.HTML(tag="table", unsafe_innerHTML=comparison_html(left, right), classes=["adoptsim-compare"])


@solara.component
def Controls(
    model: solara.Reactive[ClassroomModel],
    values: solara.Reactive[dict],
    frame: solara.Reactive[int],
    runs: solara.Reactive[list],
    base: Scenario,
    lesson_values: dict[str, float],
):
    """Play, step and reset, the speed, and the settings; the loop that plays the model.

    Every step and every picture holds the model's lock, a frame stops at the horizon, and there is one play
    loop: drawing a frame is part of it, so playing never outruns the screen."""
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL)
    per_frame = solara.use_reactive(1)
    current = model.value
    render_context = reacton.core.get_render_context(required=False)

    def keep(run_model: ClassroomModel) -> None:
        """Add the run to the history once, if it has moved at all."""
        with run_model.lock:  # the play loop and Reset may both try as a run ends
            if run_model.week == 0 or getattr(run_model, "kept", False):
                return
            run_model.kept = True
        runs.set([*runs.value, Run.of(run_model, len(runs.value) + 1)])

    def play() -> None:
        while playing.value and model.value is current and not current.finished:
            time.sleep(interval.value / 1000)
            advance(current, per_frame.value)
            wait_for_the_screen(render_context)
            frame.set(frame.value + 1)
        if model.value is current and current.finished:
            keep(current)
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, current], prefer_threaded=True)

    def step() -> None:
        advance(current, per_frame.value)
        if current.finished:
            keep(current)
        frame.set(frame.value + 1)

    def start(settings: dict[str, float]) -> None:
        playing.set(False)
        keep(current)
        model.set(ClassroomModel(base=base, **settings))

    def restore() -> None:
        values.set(dict(lesson_values))
        start(lesson_values)

    with solara.Card("Controls", margin=0):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=lambda: start(values.value))
            solara.Button(
                "❚❚" if playing.value else "▶",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=current.finished,
            )
            solara.Button("Step", color="primary", on_click=step, disabled=playing.value or current.finished)
        solara.Button("Restore lesson settings", on_click=restore, outlined=True, style="width:100%;margin:8px 0")
        solara.SliderInt(
            f"Play interval: {interval.value} ms", value=interval, min=1, max=500, step=1, thumb_label=False
        )
        solara.SliderInt(
            f"Render interval: {per_frame.value} week{'s' if per_frame.value > 1 else ''} a frame",
            value=per_frame,
            min=1,
            max=10,
            thumb_label=False,
        )
    with solara.Card("Settings (take effect on Reset)", margin=0):
        for name, setting in SLIDERS.items():
            value = values.value[name]
            note = "" if value == lesson_values[name] else f" (lesson {setting.text(lesson_values[name])})"

            def change(new: float, name: str = name) -> None:
                values.set({**values.value, name: new})

            slider = solara.SliderFloat if setting.places is not None else solara.SliderInt
            slider(
                f"{setting.label}: {setting.text(value)}{note}",
                value=value,
                on_value=change,
                min=setting.low,
                max=setting.high,
                step=setting.step,
                thumb_label=False,
            )


@solara.component
def Page():
    """The controls in the sidebar; the Interface, Runs and Info tabs in the main area."""
    base = SETTINGS["base"]
    lesson_values = solara.use_memo(lambda: lesson_settings(base), [])
    first = solara.use_memo(lambda: initial_model(SETTINGS), [])
    model = solara.use_reactive(first)
    values = solara.use_reactive(dict(lesson_values))
    frame = solara.use_reactive(0)
    runs = solara.use_reactive([])
    previous = runs.value[-1] if runs.value and not getattr(model.value, "kept", False) else None
    if runs.value and getattr(model.value, "kept", False):
        previous = runs.value[-2] if len(runs.value) > 1 else None
    solara.Title(f"{LESSON.title} · adoptsim classroom")
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(LESSON.title)
    with solara.Sidebar():
        Controls(model, values, frame, runs, base, lesson_values)
    with solara.lab.Tabs():
        with solara.lab.Tab("Interface"):
            Interface(model.value, frame.value, previous, LESSON)
        with solara.lab.Tab(f"Runs ({len(runs.value)})"):
            Runs(runs.value, LESSON, lesson_values, base.weeks)
        with solara.lab.Tab("Info"):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=LESSON.guide_html + ("<hr>" if LESSON.guide_html else "") + INFO_HTML,
                classes=["adoptsim-info"],
            )


SETTINGS = classroom_settings(scenario_from_environment(os.environ))
LESSON = Lesson.of(SETTINGS["base"])
INFO_HTML = markdown.markdown(INFO)
