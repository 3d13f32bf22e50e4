"""The transformation game in the browser: Solara pages for a student's firm and for the teacher's class.

Served by `adoptsim app --game [SCENARIO]` (one student on this machine) or `adoptsim app --game --class` (a
class: students join with a nickname and the class code shown on the teacher's page). The game's logic is in
`sim.game`; this file only draws it. One class lives in the server's memory (`sim.game.shared_room`), shared by
every browser session: nothing is stored anywhere else, and the teacher's page downloads it as a file.

Addresses: `/` is the join page (or, alone, a new game); `/?player=TOKEN` is a student's firm, so a page reloaded
resumes where it was; `/teacher?key=KEY` is the teacher's page (the key is printed by `adoptsim app` and opened in
the teacher's browser; students do not have it).

A quarter is computed at once when the student presses "Run the quarter" (it takes milliseconds); the page then
unfolds its 13 weeks one by one, each frame waiting for the page's render pass as the classroom app's play loop
does. Text is plain HTML (no CDN).
"""

from __future__ import annotations

import html
import os
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import reacton.core
import solara
import solara.lab
from matplotlib.figure import Figure

from sim.app import CSS, counts_html, wait_for_the_screen
from sim.classroom import SCENARIO_VARIABLE, scenario_from_environment
from sim.game import (
    ADDRESS_VARIABLE,
    CLASS_VARIABLE,
    FIGURE_NAMES,
    INTENSITIES,
    KEY_VARIABLE,
    OFFERS,
    OPEN_VARIABLE,
    QUARTER_WEEKS,
    QUARTERS,
    SEED_VARIABLE,
    TARGETS,
    UNFOLD_VARIABLE,
    Choice,
    ClassRoom,
    GameError,
    Player,
    debrief,
    figure_text,
    money,
    results_zip,
    shared_room,
    slug,
)
from sim.picture import ANXIETY_COLOUR, ENGAGEMENT_COLOUR, USAGE_COLOUR, figure_png

UNFOLD_MS = 200
"""Milliseconds between the weeks of a quarter unfolding on screen, by default (0: show each quarter's end at
once)."""
POLL_SECONDS = 1.0
"""How often the teacher's page looks for news from the students."""

GAME_CSS = """
.adoptsim-game-grid { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 16px; }
.adoptsim-game-grid > div { min-width: 0; }
.adoptsim-choice { border-bottom: 1px solid #eee; padding: 2px 0 6px; }
.adoptsim-choice .v-input--selection-controls { margin-top: 0; padding-top: 0; }
.adoptsim-choice .does { font-size: 15px; color: #555; margin: -8px 0 2px 32px; }
.adoptsim-total { font-size: 18px; margin: 8px 0; }
.adoptsim-code { font-size: 48px; font-weight: 800; letter-spacing: 6px; }
.adoptsim-board { border-collapse: collapse; font-size: 18px; }
.adoptsim-board th, .adoptsim-board td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: right; }
.adoptsim-board th:nth-child(2), .adoptsim-board td:nth-child(2) { text-align: left; }
.adoptsim-lines li { margin-bottom: 4px; }
table.adoptsim-debrief { width: auto; }
img.adoptsim-spread { max-height: 32vh; width: auto; max-width: 100%; }
.adoptsim-stages th, .adoptsim-stages td { text-align: center; font-weight: normal; padding: 0 6px; }
.adoptsim-stages td { font-size: 22px; font-weight: 700; }
img.adoptsim-path { max-height: 42vh; }
"""


def game_room() -> ClassRoom:
    """The class this server plays, set up once from the environment `adoptsim app --game` gave it: a class file
    to reopen, or the scenario and seed."""
    opened = os.environ.get(OPEN_VARIABLE, "")
    seed = int(os.environ.get(SEED_VARIABLE, "0"))

    def make() -> ClassRoom:
        if opened:
            return ClassRoom.from_json(Path(opened).read_text(encoding="utf-8"), opened)
        return ClassRoom(scenario_from_environment(os.environ), seed)

    return shared_room(f"{opened}|{seed}|{os.environ.get(SCENARIO_VARIABLE, '')}", make)


ROOM = game_room()
ROOM.references()  # the firm run twice now, so that the first student to join does not wait for the kernels
IN_CLASS = os.environ.get(CLASS_VARIABLE, "") == "1"
TEACHER_KEY = os.environ.get(KEY_VARIABLE, "")
ADDRESS = os.environ.get(ADDRESS_VARIABLE, "")
UNFOLD = int(os.environ.get(UNFOLD_VARIABLE, str(UNFOLD_MS)))


# ---- pictures and tables --------------------------------------------------------------------------------------


class PathPicture:
    """Users, engaged adopters and anxiety week by week up to a week, on the whole two years, with the quarters
    marked. The figure is built once and its lines updated for each week shown (building it anew took most of
    a frame's time)."""

    LINES = (
        ("usage_rate", "regular users", USAGE_COLOUR, "-"),
        ("engagement_rate", "engaged adopters", ENGAGEMENT_COLOUR, "-"),
        ("mean_anxiety", "mean anxiety", ANXIETY_COLOUR, "--"),
    )

    def __init__(self, title: str, dpi: float = 90) -> None:
        self.figure = Figure(figsize=(6.4, 3.3), dpi=dpi, layout="constrained")
        ax = self.figure.subplots()
        self.lines = {
            key: ax.plot([], [], color=c, lw=2.5, ls=style, label=label)[0] for key, label, c, style in self.LINES
        }
        for quarter in range(1, QUARTERS):
            ax.axvline(quarter * QUARTER_WEEKS, color="#bbbbbb", lw=0.8)
        ax.set(xlim=(0, QUARTERS * QUARTER_WEEKS), ylim=(0, 1.04), xlabel="week")
        ax.set_xticks([q * QUARTER_WEEKS for q in range(QUARTERS + 1)])
        ax.set_title(title, fontsize=12, loc="left")
        ax.legend(loc="upper left", fontsize=10, frameon=False)
        ax.grid(alpha=0.3, axis="y")
        figure_png(self.figure)  # lays the figure out once; the layout then stays fixed
        self.figure.set_layout_engine("none")
        self.lock = threading.Lock()

    def png(self, series: dict[str, np.ndarray], upto: int) -> bytes:
        """The picture up to week `upto`, as PNG."""
        shown = series["week"] <= upto
        with self.lock:
            for key, line in self.lines.items():
                line.set_data(series["week"][shown], series[key][shown])
            return figure_png(self.figure)


def spread_png(rows: list[dict], nothing: dict, strong: dict, dpi: float = 100) -> bytes:
    """The class's outcomes: each student a dot on net value, pilots scaled and engaged adopters, with doing nothing
    and the strong plan as lines."""
    figure = Figure(figsize=(9, 2.6), dpi=dpi, layout="constrained")
    axes = figure.subplots(1, 3)
    scales = {"net_value": 1e6, "pilots_scaled": 1, "engagement_rate": 0.01}
    units = {
        "net_value": "net value (USD M)",
        "pilots_scaled": "pilots scaled",
        "engagement_rate": "engaged adopters (%)",
    }
    for ax, (name, scale) in zip(axes, scales.items(), strict=True):
        values = np.array([row[name] for row in rows], dtype=float) / scale
        jitter = np.linspace(-0.2, 0.2, len(values)) if len(values) > 1 else np.zeros(len(values))
        ax.scatter(values, jitter, s=60, color="#0072B2", zorder=3)
        ax.axvline(nothing[name] / scale, color="#999999", ls="--", label="do nothing")
        ax.axvline(strong[name] / scale, color="#009E73", ls="-", label="strong plan")
        ax.set(ylim=(-1, 1), yticks=[], xlabel=units[name])
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    return figure_png(figure)


def funnel_html(series: dict[str, np.ndarray], week: int) -> str:
    """Pilots at each stage in a week, a column each."""
    stages = (("idea", "ideas"), ("poc", "proofs of concept"), ("pilot", "pilots"), ("production", "in production"))
    stages += (("scaled", "scaled"), ("stalled", "stalled"), ("abandoned", "abandoned"))
    head = "".join(f"<th>{label}</th>" for _, label in stages)
    cells = "".join(f"<td>{int(series[key][week])}</td>" for key, _ in stages)
    return f"<thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody>"


def week_counts(series: dict[str, np.ndarray], week: int) -> dict[str, str]:
    """The tiles over the chart, in a given week."""
    return {
        "regular users": f"{series['usage_rate'][week]:.0%}",
        "engaged adopters": f"{series['engagement_rate'][week]:.0%}",
        "mean anxiety": f"{series['mean_anxiety'][week]:.2f}",
        "pilots scaled": f"{int(series['scaled'][week])}",
        "money spent": money(series["money_spent"][week]),
        "value gained": money(series["value_gained"][week]),
    }


def feed_html(news: list[tuple[int, str]], week: int, length: int = 40) -> str:
    """What happened up to a week, newest first."""
    shown = [text for at, text in news if at <= week][::-1][:length]
    return "".join(f"<li>{html.escape(text)}</li>" for text in shown)


def board_html(rows: list[dict]) -> str:
    """The leaderboard: a row per student, best net value first (each row's exact figures in data- attributes, for
    checking against a rerun)."""
    head = "<tr><th>#</th><th>student</th><th>quarter</th><th>pilots scaled</th><th>net value</th>"
    head += "<th>engaged adopters</th></tr>"
    body = "".join(
        f"<tr data-name='{html.escape(row['name'])}' data-pilots-scaled='{row['pilots_scaled']}' "
        f"data-net-value='{row['net_value']!r}' data-engagement-rate='{row['engagement_rate']!r}'>"
        f"<td>{rank}</td><td>{html.escape(row['name'])}</td>"
        f"<td>{row['quarter']} of {QUARTERS}</td><td>{row['pilots_scaled']}</td><td>{money(row['net_value'])}</td>"
        f"<td>{row['engagement_rate']:.0%}</td></tr>"
        for rank, row in enumerate(rows, start=1)
    )
    return f"<thead>{head}</thead><tbody>{body}</tbody>"


def decisions_html(player: Player) -> str:
    """A player's decisions, a line per quarter."""
    items = []
    for quarter, (choices, costs) in enumerate(zip(player.decisions, player.costs, strict=True), start=1):
        chosen = ", ".join(
            f"{OFFERS[c.kind].title} {c.intensity:g}{'' if c.target == 'whole firm' else ' (' + c.target + ')'}"
            for c in choices
        )
        items.append(f"<li>Quarter {quarter}: {html.escape(chosen or 'nothing new')} ({money(sum(costs))})</li>")
    return "".join(items) or "<li>No quarter played yet.</li>"


def debrief_html(report) -> str:
    """The debrief table: you, doing nothing, the strong plan."""
    rows = "".join(
        f"<tr><th>{label}</th>"
        + "".join(f"<td>{figure_text(name, f[name])}</td>" for f in (report.yours, report.nothing, report.strong))
        + "</tr>"
        for name, label in FIGURE_NAMES.items()
    )
    return f"<thead><tr><th></th><th>you</th><th>do nothing</th><th>strong plan</th></tr></thead><tbody>{rows}</tbody>"


# ---- components ------------------------------------------------------------------------------------------------


@solara.component
def Unfolding(player: Player, shown: solara.Reactive[int], title: str):
    """The firm as it was in week `shown`: the tiles, the chart, the funnel and what happened."""
    version = player.model.week
    series = solara.use_memo(player.series, [version])
    week = min(shown.value, len(series["week"]) - 1)
    picture = solara.use_memo(lambda: PathPicture(title), [title])
    chart = solara.use_memo(lambda: picture.png(series, week), [version, week])
    solara.HTML(tag="div", unsafe_innerHTML=counts_html(week_counts(series, week)), classes=["adoptsim-counts"])
    solara.Image(chart, classes=["adoptsim-picture", "adoptsim-path"])
    solara.HTML(tag="h3", unsafe_innerHTML=f"Pilots in week {week}")
    solara.HTML(tag="table", unsafe_innerHTML=funnel_html(series, week), classes=["adoptsim-funnel", "adoptsim-stages"])
    solara.HTML(tag="h3", unsafe_innerHTML="What happened (newest first)")
    solara.HTML(tag="ul", unsafe_innerHTML=feed_html(player.news, week), classes=["adoptsim-feed"])


def use_unfolding(target: int, restart: int = 0) -> solara.Reactive[int]:
    """The week on screen, moving one week a frame up to `target` (a page opened or reloaded starts there); a new
    `restart` number plays again from wherever the week on screen was set. (Not `use_reactive(target)`, which
    would jump to each new target.)"""
    shown = solara.use_memo(lambda: solara.reactive(target), [])
    render_context = reacton.core.get_render_context(required=False)

    def unfold() -> None:
        if UNFOLD <= 0:  # no unfolding asked for: the quarter's end at once
            shown.set(max(shown.value, target))
        while shown.value < target:
            time.sleep(UNFOLD / 1000)
            wait_for_the_screen(render_context)
            shown.set(shown.value + 1)

    solara.lab.use_task(unfold, dependencies=[target, restart], prefer_threaded=True)
    return shown


@solara.component
def ChoiceRow(kind: str, value: dict, on_value, player: Player):
    """One intervention: chosen or not, its intensity, its teams where it has them, and what it costs."""
    offer = OFFERS[kind]
    choice = Choice(kind, INTENSITIES[value["intensity"]], value["target"])
    with solara.Div(classes=["adoptsim-choice"]):
        solara.Checkbox(
            label=f"{offer.title}: {money(player.prices([choice])[0])}",
            value=value["on"],
            on_value=lambda on: on_value({**value, "on": on}),
        )
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(offer.does), classes=["does"])
        if value["on"]:
            with solara.Row():
                solara.ToggleButtonsSingle(
                    value=value["intensity"],
                    values=list(INTENSITIES),
                    on_value=lambda level: on_value({**value, "intensity": level}),
                )
                if offer.targeted:
                    solara.ToggleButtonsSingle(
                        value=value["target"],
                        values=list(TARGETS),
                        on_value=lambda target: on_value({**value, "target": target}),
                    )


def chosen(form: dict) -> list[Choice]:
    """The form's ticked interventions as choices."""
    return [Choice(kind, INTENSITIES[v["intensity"]], v["target"]) for kind, v in form.items() if v["on"]]


EMPTY_FORM = {kind: {"on": False, "intensity": "medium", "target": "whole firm"} for kind in OFFERS}


def last_choices(player: Player) -> dict:
    """The form as the student left it: last quarter's choices ticked (so a reloaded page, too, starts from them)."""
    form = {kind: dict(value) for kind, value in EMPTY_FORM.items()}
    for choice in player.decisions[-1] if player.decisions else []:
        level = min(INTENSITIES, key=lambda name: abs(INTENSITIES[name] - choice.intensity))
        form[choice.kind] = {"on": True, "intensity": level, "target": choice.target}
    return form


@solara.component
def PlayerPage(player: Player):
    """A student's firm: the quarter's choices, "Run the quarter", the weeks unfolding, and the debrief at the end."""
    quarter_played = solara.use_reactive(player.quarter)
    if quarter_played.value != player.quarter:  # reading it makes this page redraw when a quarter is played
        quarter_played.set(player.quarter)
    form = solara.use_reactive(last_choices(player))
    error = solara.use_reactive("")
    shown = use_unfolding(player.model.week)
    unfolding = shown.value < player.model.week
    choices = chosen(form.value)
    cost = sum(player.prices(choices))

    def run_quarter() -> None:
        try:
            ROOM.play(player, choices)
        except GameError as exc:
            error.set(str(exc))
            return
        error.set("")
        quarter_played.set(player.quarter)

    title = f"{player.name}: {player.scenario.firm.name}"
    solara.Title(f"The transformation game · {player.name}")
    with solara.Div(classes=["adoptsim-main"]):
        quarter = min(player.quarter + 1, QUARTERS) if not unfolding else shown.value // QUARTER_WEEKS + 1
        status = (
            f"<b>{html.escape(player.name)}</b> · quarter <b>{quarter}</b> of {QUARTERS}"
            f"{' running' if unfolding else ''} · week {shown.value} · budget left <b>{money(player.remaining)}</b> of "
            f"{money(player.budget)}"
        )
        if player.finished and not unfolding:
            status = f"<b>{html.escape(player.name)}</b> · all {QUARTERS} quarters played · the debrief is below"
        solara.HTML(tag="div", unsafe_innerHTML=status, classes=["adoptsim-status"])
        with solara.Div(classes=["adoptsim-game-grid"]):
            with solara.Div():
                if not player.finished:
                    solara.HTML(tag="h3", unsafe_innerHTML=f"Your decisions for quarter {player.quarter + 1}")
                    for kind in OFFERS:
                        ChoiceRow(
                            kind,
                            form.value[kind],
                            lambda v, kind=kind: form.set({**form.value, kind: v}),
                            player,
                        )
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=f"This quarter: <b>{money(cost)}</b> · left after it: "
                        f"<b>{money(player.remaining - cost)}</b>",
                        classes=["adoptsim-total"],
                    )
                    if error.value:
                        solara.Error(error.value, classes=["adoptsim-error"])
                    solara.Button(
                        "Run the quarter", color="primary", on_click=run_quarter, disabled=unfolding, style="width:100%"
                    )
                else:
                    solara.HTML(tag="h3", unsafe_innerHTML="Your decisions")
                    solara.HTML(tag="ul", unsafe_innerHTML=decisions_html(player))
            with solara.Div():
                Unfolding(player, shown, title)
        if player.finished and not unfolding:
            Debrief(player)


@solara.component
def Debrief(player: Player):
    """The end of the game: against doing nothing and the strong plan, what mattered, and the results file."""
    report = solara.use_memo(lambda: debrief(player, ROOM.references()), [player.quarter])
    solara.HTML(tag="h3", unsafe_innerHTML="Debrief: the same firm, the same luck, other decisions")
    solara.HTML(tag="table", unsafe_innerHTML=debrief_html(report), classes=["adoptsim-board", "adoptsim-debrief"])
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in report.lines())
    solara.HTML(tag="ul", unsafe_innerHTML=lines, classes=["adoptsim-lines"])
    solara.FileDownload(
        lambda: results_zip(player, ROOM.class_seed, report),
        filename=f"game-{slug(player.name)}.zip",
        label="Download your results (zip: debrief, decisions, weeks, comparison for adoptsim compare)",
        mime_type="application/zip",
    )


@solara.component
def JoinPage():
    """A student joins with a nickname and the class code."""
    nickname = solara.use_reactive("")
    code = solara.use_reactive("")
    error = solara.use_reactive("")
    router = solara.use_router()

    def join() -> None:
        try:
            player = ROOM.join(nickname.value, code.value)
        except GameError as exc:
            error.set(str(exc))
            return
        router.push(f"/?player={player.token}")

    solara.Title("The transformation game · join")
    with solara.Div(classes=["adoptsim-main"], style="max-width: 32em"):
        solara.HTML(tag="h3", unsafe_innerHTML="Join the class")
        solara.HTML(
            tag="p",
            unsafe_innerHTML=f"You lead {html.escape(ROOM.scenario.firm.name)}, a firm of "
            f"{ROOM.scenario.firm.employees} people, for {QUARTERS} quarters. Everyone in the class plays the same "
            "firm with the same luck: only the decisions differ.",
        )
        solara.InputText("Nickname", value=nickname, continuous_update=True)
        solara.InputText("Class code", value=code, continuous_update=True)
        if error.value:
            solara.Error(error.value, classes=["adoptsim-error"])
        solara.Button("Join", color="primary", on_click=join)


@solara.component
def TeacherPage():
    """Who has joined, each student's quarter, the leaderboard, the spread of outcomes, any student's path replayed,
    and the class saved as a file."""
    version = solara.use_reactive(ROOM.version)

    def poll() -> None:
        while poll_task.is_current():
            time.sleep(POLL_SECONDS)
            if ROOM.version != version.value:
                version.set(ROOM.version)

    poll_task = solara.lab.use_task(poll, dependencies=[], prefer_threaded=True)
    rows = solara.use_memo(ROOM.leaderboard, [version.value])
    nothing, strong = solara.use_memo(ROOM.references, [])
    spread = solara.use_memo(lambda: spread_png(rows, nothing, strong) if rows else None, [version.value])
    replayed = solara.use_reactive(None)
    solara.Title(f"The transformation game · class {ROOM.code}")
    with solara.Div(classes=["adoptsim-main"]):
        with solara.Row():
            solara.HTML(tag="div", unsafe_innerHTML=f"Class code <span class='adoptsim-code'>{ROOM.code}</span>")
            where = ADDRESS or "this machine's address"
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"Students open <b>{html.escape(where)}</b>, choose a nickname and type the code.",
            )
        solara.HTML(
            tag="p",
            unsafe_innerHTML=f"{len(rows)} joined · firm {html.escape(ROOM.scenario.firm.name)} · seed "
            f"{ROOM.class_seed} · do nothing: {money(nothing['net_value'])}, {nothing['pilots_scaled']} scaled · "
            f"strong plan: {money(strong['net_value'])}, {strong['pilots_scaled']} scaled",
        )
        solara.HTML(tag="h3", unsafe_innerHTML="Leaderboard")
        solara.HTML(tag="table", unsafe_innerHTML=board_html(rows), classes=["adoptsim-board", "adoptsim-leaderboard"])
        if spread is not None:
            solara.HTML(tag="h3", unsafe_innerHTML="Spread of outcomes")
            solara.Image(spread, classes=["adoptsim-picture", "adoptsim-spread"])
        names = [row["name"] for row in rows]
        if names:
            solara.HTML(tag="h3", unsafe_innerHTML="Replay a student's path")
            with solara.Row(style="flex-wrap: wrap"):
                for name in sorted(names, key=str.casefold):
                    solara.Button(
                        f"Show {name}", on_click=lambda name=name: replayed.set(name), outlined=replayed.value != name
                    )
        player = ROOM.players.get(replayed.value) if replayed.value else None
        if player is not None:
            Replay(player).key(f"replay-{player.name}-{player.quarter}")
        solara.FileDownload(
            lambda: ROOM.to_json().encode(),
            filename=f"class-{ROOM.code}.json",
            label="Save the class (a file to reopen with adoptsim app --game --class --open FILE)",
            mime_type="application/json",
        )


@solara.component
def Replay(player: Player):
    """A student's path on the projector: their decisions, and their quarters unfolding again from week 0."""
    restart = solara.use_reactive(0)
    shown = use_unfolding(player.model.week, restart.value)

    def again() -> None:
        shown.set(0)
        restart.set(restart.value + 1)

    solara.Button("Replay from week 0", on_click=again, style="width: auto; align-self: flex-start")
    solara.HTML(tag="ul", unsafe_innerHTML=decisions_html(player))
    Unfolding(player, shown, f"{player.name}: {player.scenario.firm.name}")


@solara.component
def Page():
    """The join page, a student's firm or the teacher's page, by address."""
    router = solara.use_router()
    query = parse_qs(router.search or "")
    solara.Style(CSS + GAME_CSS)
    with solara.AppBar():
        solara.AppBarTitle(f"The transformation game: {ROOM.scenario.firm.name}")
    if router.path.strip("/") == "teacher":
        key = query.get("key", [""])[0]
        if IN_CLASS and TEACHER_KEY and secrets.compare_digest(key, TEACHER_KEY):
            TeacherPage()
        else:
            solara.Error("This page is for the teacher: open the address adoptsim app printed in its terminal.")
        return
    player = ROOM.by_token(query.get("player", [""])[0])
    if player is not None:
        PlayerPage(player)
    elif IN_CLASS:
        JoinPage()
    else:
        SoloStart()


@solara.component
def SoloStart():
    """Alone on this machine: a new firm at once, its address in the location bar so a reload resumes it."""
    router = solara.use_router()

    def start() -> None:
        router.push(f"/?player={ROOM.alone().token}")

    solara.use_effect(start, [])
    solara.HTML(tag="p", unsafe_innerHTML="Setting up your firm…")


@solara.component
def Layout(children=()):
    """No navigation between the pages: each is reached by its own address."""
    solara.AppLayout(children=list(children), navigation=False)


routes = [
    solara.Route(path="/", component=Page, label="game", layout=Layout),
    solara.Route(path="teacher", component=Page, label="teacher"),
]
