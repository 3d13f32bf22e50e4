"""Live pictures of one model for the classroom app and for animations: the organisation as a network of
employees grouped by team and coloured by state, and usage against engagement and anxiety week by week.

A picture draws its fixed parts once: the network's layout is computed once per model (never a spring
layout) and its discs, ties and names, like the charts' axes, are rendered once into a background. Each week
only the moving parts (the dots' colours, the legend's counts, the week, the lines) are drawn again on top of
that background (blitting), which keeps a frame cheap enough for a smooth app at a few hundred employees.
"""

from __future__ import annotations

import io
from typing import Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from PIL import Image

from sim.classroom import FUNNEL_LABELS, PilotNames, funnel_counts
from sim.model import AdoptionModel
from sim.state import Organisation

STATE_LABELS = ("non-user", "compliant user", "committed user", "engaged adopter")
"""The four visible states (sim.metrics.employee_states) as the legend names them."""
STATE_COLOURS = ("#bbbbbb", "#e69f00", "#56b4e9", "#009e73")
"""Grey, orange, sky blue and bluish green, from Okabe and Ito's palette for colour-blind readers: committed
users and engaged adopters differ in hue, not only in lightness (light against dark blue was hard to tell
apart on a projector)."""
TEAM_COLOURS = {False: "#fff7bc", True: "#e5f5e0"}
"""Background of a team: front office (False) or back office (True)."""
RING = 0.36
"""Radius of a team's ring of members, in units of the distance between neighbouring team centres."""
LABELLED_TEAMS = 40
"""Team names are written only up to this many teams; beyond, they would overlap."""
DRAWN_TIES = 1000
"""At most about this many ties are drawn."""
USAGE_COLOUR, ENGAGEMENT_COLOUR, ANXIETY_COLOUR = "#d55e00", "#009e73", "#cc79a7"
"""Vermilion (what dashboards count), bluish green (the engaged dots' colour) and reddish purple (Okabe-Ito)."""
FUNNEL_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#009e73", "#e69f00", "#d55e00")
"""The funnel's bars: the stages from idea to scaled, then stalled and abandoned."""
FONT_PX = 18
"""Text in the app's chart in pixels at 100 dpi (27 px at 150 dpi): at least 16 px on screen at 1024x768,
where the chart is shown at about 0.95 of its size at 100 dpi."""
PREVIOUS_ALPHA = 0.3
"""How faint the previous run's lines are."""


def points(px: float, dpi: float) -> float:
    """A font size in points that is `px` pixels tall at this resolution."""
    return px * 72 / dpi


def team_centres(n_teams: int) -> np.ndarray:
    """Team centres evenly on a large circle, neighbours one unit apart, the first at the top; ties between
    teams then run as chords through the middle instead of across other teams."""
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_teams) / n_teams
    radius = max(n_teams / (2 * np.pi), 0.8)
    return radius * np.column_stack([np.cos(angle), np.sin(angle)])


def organisation_layout(org: Organisation) -> np.ndarray:
    """Each employee's position: the team's manager (its first member) at the team's centre, the other members
    evenly on a ring around it. Depends only on the team structure, so it is computed once per model."""
    sizes = org.team_members.astype(np.int64)
    team = np.repeat(np.arange(org.n_teams), sizes)
    rank = np.arange(len(team)) - org.team_start[team]
    ring = np.maximum(sizes[team] - 1, 1)
    angle = 2 * np.pi * (rank - 1) / ring
    radius = np.where(rank == 0, 0.0, RING)
    offset = np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None]
    return team_centres(org.n_teams)[team] + offset


class Picture(Protocol):
    """Something drawn on a figure that changes week by week."""

    dynamic: list[Artist]
    """The artists that move; everything else is fixed once drawn."""

    def update(self, model: AdoptionModel) -> None:
        """Bring the moving artists up to the model's current week."""


class OrganisationPicture:
    """Employees as dots around their team's centre, coloured by visible state, with their ties across teams;
    for slides also the teams' names, a legend counting each state and the week as a title (the app writes
    these as text beside the picture instead, where they stay readable at any window size)."""

    def __init__(self, model: AdoptionModel, ax: Axes, captions: bool = True, font: float = 8) -> None:
        org, workforce = model.organisation, model.workforce
        self.horizon = model.spec.weeks
        positions = organisation_layout(org)
        centres = team_centres(org.n_teams)
        draw_teams(ax, centres, org.team_back_office)
        draw_ties(ax, positions, workforce.ties)
        if captions and org.n_teams <= LABELLED_TEAMS:
            label_teams(ax, centres, PilotNames.of(model).teams, font * 0.8)
        size = float(np.clip(12000 / workforce.size, 4, 60)) * (1 if captions else 1.6)
        self.dots = ax.scatter(
            *positions.T, s=np.where(workforce.manager, 1.8 * size, size), edgecolors="white", linewidths=0.4, zorder=2
        )
        reach = np.abs(centres).max() + RING + (0.9 if captions else 0.2)
        ax.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal")
        ax.set_axis_off()
        self.dynamic: list[Artist] = [self.dots]
        self.legend = self.title = None
        if captions:
            handles = [Line2D([], [], ls="", marker="o", markersize=font, color=colour) for colour in STATE_COLOURS]
            self.legend = ax.legend(
                handles,
                STATE_LABELS,
                loc="upper center",
                bbox_to_anchor=(0.5, 0.02),
                ncol=2,
                fontsize=font,
                frameon=False,
            )
            self.title = ax.set_title("", fontsize=font * 1.2)
            self.dynamic += [self.legend, self.title]
        self.update(model)

    def update(self, model: AdoptionModel) -> None:
        """Colour each employee by this week's state; count the states in the legend and show the week."""
        states = model.employee_states()
        self.dots.set_facecolors(np.asarray(STATE_COLOURS)[states])
        if self.legend is not None:
            counts = np.bincount(states, minlength=len(STATE_LABELS))
            for text, label, count in zip(self.legend.get_texts(), STATE_LABELS, counts, strict=True):
                text.set_text(f"{label}: {count}")
            self.title.set_text(f"week {model.week} of {self.horizon}")


def draw_teams(ax: Axes, centres: np.ndarray, back_office: np.ndarray) -> None:
    """A disc behind each team, coloured by its function (one collection, drawn in one call)."""
    discs = [Circle(centre, RING + 0.1) for centre in centres]
    colours = [TEAM_COLOURS[bool(back)] for back in back_office]
    ax.add_collection(PatchCollection(discs, facecolors=colours, edgecolors="none", zorder=0))


def draw_ties(ax: Axes, positions: np.ndarray, ties: np.ndarray) -> None:
    """Employees' ties to colleagues in other teams, as faint lines: all of them in a small firm, an even
    sample of about DRAWN_TIES in a large one, where all would hide the teams."""
    ends = np.stack([np.repeat(positions, ties.shape[1], axis=0), positions[ties.ravel()]], axis=1)
    ends = ends[:: max(1, len(ends) // DRAWN_TIES)]
    ax.add_collection(LineCollection(ends, colors="#9e9e9e", linewidths=0.3, alpha=0.25, zorder=1))


def label_teams(ax: Axes, centres: np.ndarray, names: tuple[str, ...], font: float = 6.5) -> None:
    """Each team's name just outside its disc, away from the middle."""
    outward = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    for (x, y), (dx, dy), name in zip(centres + outward * (RING + 0.2), outward, names, strict=True):
        ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
        va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
        ax.text(x, y, name, ha=ha, va=va, fontsize=font, color="#555555")


def trajectory(model: AdoptionModel) -> dict[str, np.ndarray]:
    """The week and each trend's value week by week so far (head-count weighted over the model's firms)."""
    records = list(model.records)  # the weeks and the values from the same records
    series = {"week": np.array([record["week"][0] for record in records], dtype=float)}
    for key, *_ in TrendsPicture.SERIES:
        series[key] = np.array([np.average(record[key], weights=record["employees"]) for record in records])
    return series


class TrendsPicture:
    """Week by week: what dashboards see (regular users) against genuine adoption (engaged adopters), and
    anxiety, on one axes or anxiety on a second. The axes span the whole horizon and [0, 1], so the lines grow
    across a fixed frame; a previous run, if given, is drawn faintly behind them."""

    SERIES = (
        ("usage_rate", "regular users", USAGE_COLOUR),
        ("engagement_rate", "engaged adopters", ENGAGEMENT_COLOUR),
        ("mean_anxiety", "mean AI anxiety", ANXIETY_COLOUR),
    )
    """Record key, label and colour."""

    def __init__(
        self,
        model: AdoptionModel,
        usage_ax: Axes,
        anxiety_ax: Axes | None = None,
        previous: dict[str, np.ndarray] | None = None,
        legend: bool = True,
        font: float = 8,
    ) -> None:
        axes = {"usage_rate": usage_ax, "engagement_rate": usage_ax, "mean_anxiety": anxiety_ax or usage_ax}
        style = {"mean_anxiety": "--"} if anxiety_ax is None else {}
        self.lines = {
            key: axes[key].plot([], [], color=colour, lw=2.5, ls=style.get(key, "-"), label=label)[0]
            for key, label, colour in self.SERIES
        }
        if previous is not None:
            for key, _, colour in self.SERIES:
                axes[key].plot(
                    previous["week"], previous[key], color=colour, lw=2, ls=style.get(key, "-"), alpha=PREVIOUS_ALPHA
                )
        for ax in dict.fromkeys(axes.values()):
            ax.set(xlim=(0, model.spec.weeks), ylim=(0, 1.04))
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=font)
            ax.set_xlabel("week", fontsize=font)
            if legend:
                ax.legend(loc="upper left", fontsize=font, frameon=False)
        if anxiety_ax is not None:
            usage_ax.set_xlabel("")
            usage_ax.set_title("usage is not adoption", fontsize=font * 1.2)
            anxiety_ax.set_title("AI anxiety", fontsize=font * 1.2)
        usage_ax.set_ylabel("share of employees", fontsize=font)
        self.dynamic = list(self.lines.values())
        self.update(model)

    def update(self, model: AdoptionModel) -> None:
        """Redraw the lines from the model's weekly records."""
        series = trajectory(model)
        for key, line in self.lines.items():
            line.set_data(series["week"], series[key])


class FunnelPicture:
    """The pilot funnel for slides: a bar per stage as long as the pilots that reached it (relative to the ideas
    so far), its count, and the pilots scaled in large type."""

    def __init__(self, model: AdoptionModel, ax: Axes, font: float = 8) -> None:
        rows = np.arange(len(FUNNEL_LABELS))[::-1]
        self.bars = ax.barh(rows, np.zeros(len(rows)), color=FUNNEL_COLOURS, height=0.7)
        ax.set_yticks(rows, FUNNEL_LABELS, fontsize=font)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([])
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        self.counts = [ax.text(0, row, "", va="center", fontsize=font) for row in rows]
        self.headline = ax.set_title("", fontsize=font * 1.25, loc="left", fontweight="bold")
        self.dynamic = [*self.bars.patches, *self.counts, self.headline]
        self.update(model)

    def update(self, model: AdoptionModel) -> None:
        """Lengthen the bars and rewrite the counts."""
        counts = funnel_counts(model.pilots)
        widest = max(*counts.values(), 1)
        for bar, text, count in zip(self.bars.patches, self.counts, counts.values(), strict=True):
            bar.set_width(count / widest)
            text.set_x(count / widest + 0.02)
            text.set_text(str(count))
        self.headline.set_text(f"pilots scaled: {counts['scaled']} of {counts['ideas']} ideas")


class LiveFigure:
    """A figure of pictures whose fixed parts are rendered once into a background and whose moving parts are
    drawn on a copy of it each week (blitting)."""

    def __init__(self, figure: Figure, pictures: list[Picture]) -> None:
        self.figure = figure
        self.pictures = pictures
        self.canvas = FigureCanvasAgg(figure)
        for picture in pictures:
            for artist in picture.dynamic:
                artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(figure.bbox)

    def frame(self, model: AdoptionModel) -> Image.Image:
        """The figure at the model's current week."""
        self.canvas.restore_region(self.background)
        for picture in self.pictures:
            picture.update(model)
            for artist in picture.dynamic:
                self.figure.draw_artist(artist)
        return Image.fromarray(np.asarray(self.canvas.buffer_rgba()).copy())

    def png(self, model: AdoptionModel) -> bytes:
        """The figure at the model's current week as PNG (fast compression: it is sent once and replaced)."""
        buffer = io.BytesIO()
        self.frame(model).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def organisation_figure(model: AdoptionModel, dpi: float, inches: float = 4.4) -> LiveFigure:
    """The network of employees alone, for the app (its legend is text beside it)."""
    figure = Figure(figsize=(inches, inches), dpi=dpi)
    figure.subplots_adjust(0, 0, 1, 1)
    return LiveFigure(figure, [OrganisationPicture(model, figure.subplots(), captions=False)])


def trends_figure(
    model: AdoptionModel, dpi: float, previous: dict[str, np.ndarray] | None = None, size: tuple = (4.0, 2.6)
) -> LiveFigure:
    """Usage against engagement and anxiety on one chart, for the app: text FONT_PX pixels tall, the legend as
    text beside it, the previous run (if any) as faint lines."""
    figure = Figure(figsize=size, dpi=dpi, layout="tight")
    picture = TrendsPicture(
        model, figure.subplots(), previous=previous, legend=False, font=points(FONT_PX * dpi / 100, dpi)
    )
    return LiveFigure(figure, [picture])


def chart_png(
    model: AdoptionModel, title: str, previous: dict[str, np.ndarray] | None = None, dpi: float = 150
) -> bytes:
    """The app's chart on its own, with a title and a legend, for downloading."""
    figure = Figure(figsize=(8, 5), dpi=dpi, layout="constrained")
    ax = figure.subplots()
    TrendsPicture(model, ax, previous=previous, font=11)
    ax.set_title(title, fontsize=12, loc="left")
    if previous is not None:
        ax.text(1, -0.12, "faint lines: the previous run", transform=ax.transAxes, ha="right", fontsize=9)
    return figure_png(figure)


def comparison_png(runs: list[tuple[str, dict[str, np.ndarray]]], horizon: int, title: str, dpi: float = 100) -> bytes:
    """Two (or more) runs' usage, engagement and anxiety side by side, a panel each, for the app (text FONT_PX
    pixels tall at 100 dpi) and for downloading."""
    font = points(FONT_PX, 100)
    figure = Figure(figsize=(3.6 * len(runs), 3.4), dpi=dpi, layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(runs), sharey=True))
    for ax, (name, series) in zip(axes, runs, strict=True):
        for key, label, colour in TrendsPicture.SERIES:
            style = "--" if key == "mean_anxiety" else "-"
            ax.plot(series["week"], series[key], color=colour, lw=2.5, ls=style, label=label)
        ax.set(xlim=(0, horizon), ylim=(0, 1.04))
        ax.set_title(name, fontsize=font, loc="left")
        ax.set_xlabel("week", fontsize=font)
        ax.tick_params(labelsize=font)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of employees", fontsize=font)
    figure.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=font * 0.9, frameon=False
    )
    figure.suptitle(title, fontsize=font)
    return figure_png(figure)


def figure_png(figure: Figure) -> bytes:
    """A whole figure as PNG."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def slide_figure(model: AdoptionModel, dpi: float, title: str | None = None) -> LiveFigure:
    """For animations: the network with its legend on the left; on the right usage against engagement and
    anxiety above the pilot funnel with the count of pilots scaled; titled with the scenario and its settings."""
    figure = Figure(figsize=(12, 6.75), dpi=dpi, layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=(1, 1.05))
    trends_ax, funnel_ax = right.subplots(2, 1, height_ratios=(1.15, 1))
    figure.suptitle(title or model.spec.name, fontsize=13)
    return LiveFigure(
        figure,
        [
            OrganisationPicture(model, left.subplots(), font=11),
            TrendsPicture(model, trends_ax, font=11),
            FunnelPicture(model, funnel_ax, font=11),
        ],
    )
