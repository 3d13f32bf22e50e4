"""The classroom app: a Mesa SolaraViz page that shows one organisation adopting AI, week by week.

Start it with `adoptsim app [SCENARIO]`, which serves this file with Solara on 127.0.0.1 and passes the
scenario to start from in the environment (see `sim.classroom.app_environment`; the baseline by default).

SolaraViz gives the app bar and the sidebar: play, step, reset, speed and the classroom settings, which take
effect on Reset (it builds a fresh `ClassroomModel` from them). The main area is laid out here, like NetLogo's
Interface and Info tabs: the organisation, the charts, the pilot funnel and the event feed on one, the model
explained in plain words on the other. Text is plain HTML (solara's Markdown would fetch KaTeX from a CDN).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import markdown
import solara
import solara.lab

from sim.classroom import ClassroomModel, funnel_counts, scenario_from_environment
from sim.picture import LiveFigure, organisation_figure, trends_figure
from sim.plots import STAGE_COLOURS
from sim.schema import Scenario
from sim.state import team_sizes

APP_TEAMS = 25
"""The app opens with at most this many teams (300 people in teams of 12) so that every dot stays visible."""
DPI = 90
"""Resolution of the pictures sent to the browser: enough for a projector, cheap to render every week."""
PLAY_INTERVAL = 100
"""Milliseconds between frames when playing, to start with."""
FEED_LENGTH = 10
"""Events shown in the feed, newest first."""
FUNNEL_COLOURS = (*STAGE_COLOURS, "#fdae6b", "#d94801")
"""The funnel's bars: the stages, then stalled and abandoned."""

INFO = """
### What is this?
A simulated organisation adopting AI. Every dot is an employee, grouped in teams (yellow discs: front-office
teams such as marketing and sales; green: back-office teams such as operations and finance). Grey lines are
the ties people have to colleagues in other teams.

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

Colours: grey, non-user; orange, **anxious / compliant user** (uses AI without having adopted it); light blue,
committed user; dark blue, **engaged adopter**.

### Things to try
- Press Step a few times, then ▶. Watch the orange and blue lines part: dashboards count usage, not adoption.
- Raise the **usage mandate** and press Reset: usage shoots up, engagement does not.
- Raise **industry threat**: anxiety climbs and compliance replaces commitment.
- Raise the three foundations one at a time, then all three together, and compare the funnel.
- Double the **pilot intake**: more pilots, more duplicates, not more at scale.
- Change the **seed** to see another firm with the same settings: which results are luck?

Settings take effect when you press **Reset**; the line above the pictures shows the settings of the firm on
screen. The app opens with at most 25 teams so that every dot stays visible. Ready-made lessons:
`adoptsim app lessons/usage-not-adoption`, `lessons/fragmentation` and `lessons/three-foundations` (see
docs/teaching.md).
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
        """The value as the slider's label shows it."""
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
    return ClassroomModel(**{name: getattr(value, "value", value) for name, value in settings.items()})


def advance(model: ClassroomModel, weeks: int) -> None:
    """Up to `weeks` weeks of the model, stopping at its horizon, under the model's lock."""
    with model.lock:
        for _ in range(weeks):
            if model.finished:
                break
            model.step()


def picture_png(live: LiveFigure, model: ClassroomModel) -> bytes:
    """A live picture of the model as PNG, drawn while the model does not step."""
    with model.lock:
        return live.png(model)


@solara.component
def LivePicture(model: ClassroomModel, week: int, make: Callable[[ClassroomModel, float], LiveFigure], name: str):
    """A picture whose fixed parts are drawn once per model (a new model after Reset gets a new one) and whose
    moving parts are redrawn each week (the week is passed so that a new week renders anew). The image carries
    the class `adoptsim-NAME`."""
    live = solara.use_memo(lambda: make(model, DPI), [model])
    image = solara.use_memo(lambda: picture_png(live, model), [model, week])
    solara.Image(image, classes=[f"adoptsim-{name}"])


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
        f"<tr><td style='padding-right:8px;white-space:nowrap'>{label}</td><td style='width:75%'>"
        f"<div style='background:{colour};width:{100 * count / widest:.1f}%;height:16px'></div></td>"
        f"<td style='padding-left:8px'>{count}</td></tr>"
        for (label, count), colour in zip(counts.items(), FUNNEL_COLOURS, strict=True)
    )


def feed_items(model: ClassroomModel) -> str:
    """The latest pilot events, newest first, as HTML list items."""
    latest = model.events[::-1][:FEED_LENGTH]
    return "".join(f"<li>{html.escape(event)}</li>" for event in latest) or "<li>Nothing yet: press Step or ▶.</li>"


@solara.component
def Interface(model: ClassroomModel, week: int):
    """The organisation as a network of employees by team and state; usage against engagement and anxiety;
    the pilot funnel; what happened lately."""
    with model.lock:
        status, funnel, feed = status_line(model), funnel_rows(model), feed_items(model)
    solara.HTML(tag="div", unsafe_innerHTML=status, style="margin:8px 0", classes=["adoptsim-status"])
    with solara.Columns([1, 1]):
        with solara.Card("The organisation", margin=0):
            LivePicture(model, week, organisation_figure, "organisation")
        with solara.Card("Usage, engagement and anxiety", margin=0):
            LivePicture(model, week, trends_figure, "trends")
    with solara.Columns([1, 1]):
        with solara.Card("The pilot funnel", margin=0):
            solara.HTML(tag="table", unsafe_innerHTML=funnel, style="width:100%", classes=["adoptsim-funnel"])
            solara.Text("Pilots that reached each stage so far, those stalled now, and those abandoned.")
        with solara.Card("What happened", margin=0):
            solara.HTML(tag="ul", unsafe_innerHTML=feed, classes=["adoptsim-feed"])


@solara.component
def Controls(
    model: solara.Reactive[ClassroomModel],
    values: solara.Reactive[dict],
    frame: solara.Reactive[int],
    base: Scenario,
):
    """Play, step and reset, the speed, and the settings; the loop that plays the model.

    Built here rather than taken from SolaraViz's controller, whose play loop stepped the model in one thread
    while another drew it (a chart could read 84 weeks and 85 values), stepped past the horizon when a frame
    showed several weeks, and offered "Use Threads", which could leave the screen frozen before the end of a
    run. Here every step and every picture holds the model's lock, a frame stops at the horizon, and there is
    one play loop: drawing a frame is part of it, so playing never outruns the screen."""
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL)
    per_frame = solara.use_reactive(1)
    current = model.value

    def play() -> None:
        while playing.value and model.value is current and not current.finished:
            time.sleep(interval.value / 1000)
            advance(current, per_frame.value)
            frame.set(frame.value + 1)
        if model.value is current and current.finished:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, current], prefer_threaded=True)

    def step() -> None:
        advance(current, per_frame.value)
        frame.set(frame.value + 1)

    def reset() -> None:
        playing.set(False)
        model.set(ClassroomModel(base=base, **values.value))

    with solara.Card("Controls"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=reset)
            solara.Button(
                "❚❚" if playing.value else "▶",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=current.finished,
            )
            solara.Button("Step", color="primary", on_click=step, disabled=playing.value or current.finished)
        solara.SliderInt(f"Play interval (ms): {interval.value}", value=interval, min=1, max=500, thumb_label=False)
        solara.SliderInt(
            f"Render interval (weeks a frame): {per_frame.value}", value=per_frame, min=1, max=10, thumb_label=False
        )
    with solara.Card("Settings (take effect on Reset)"):
        for name, setting in SLIDERS.items():
            value = values.value[name]

            def change(new: float, name: str = name) -> None:
                values.set({**values.value, name: new})

            slider = solara.SliderFloat if setting.places is not None else solara.SliderInt
            slider(
                f"{setting.label}: {setting.text(value)}",
                value=value,
                on_value=change,
                min=setting.low,
                max=setting.high,
                step=setting.step,
                thumb_label=False,
            )


@solara.component
def Page():
    """The controls in the sidebar; the Interface and Info tabs in the main area."""
    base = SETTINGS["base"]
    first = solara.use_memo(lambda: initial_model(SETTINGS), [])
    model = solara.use_reactive(first)
    values = solara.use_reactive(lesson_settings(base))
    frame = solara.use_reactive(0)
    with solara.AppBar():
        solara.AppBarTitle(f"adoptsim classroom: {base.name}")
    with solara.Sidebar():
        Controls(model, values, frame, base)
    with solara.lab.Tabs():
        with solara.lab.Tab("Interface"):
            Interface(model.value, frame.value)
        with solara.lab.Tab("Info"):
            solara.HTML(tag="div", unsafe_innerHTML=INFO_HTML, style="max-width:60em")


SETTINGS = classroom_settings(scenario_from_environment(os.environ))
INFO_HTML = markdown.markdown(INFO)
