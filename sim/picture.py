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

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection, PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402
from PIL import Image  # noqa: E402

from sim.classroom import PilotNames  # noqa: E402
from sim.model import AdoptionModel  # noqa: E402
from sim.plots import STATE_COLOURS  # noqa: E402
from sim.state import Organisation  # noqa: E402

STATE_LABELS = ("non-user", "anxious / compliant user", "committed user", "engaged adopter")
"""The four visible states (sim.metrics.employee_states) as the legend names them."""
TEAM_COLOURS = {False: "#fff7bc", True: "#e5f5e0"}
"""Background of a team: front office (False) or back office (True)."""
RING = 0.36
"""Radius of a team's ring of members, in units of the distance between neighbouring team centres."""
LABELLED_TEAMS = 40
"""Team names are written only up to this many teams; beyond, they would overlap."""
DRAWN_TIES = 1000
"""At most about this many ties are drawn."""
USAGE_COLOUR, ENGAGEMENT_COLOUR, ANXIETY_COLOUR = "#e6550d", "#2171b5", "#756bb1"


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
    """Employees as dots around their team's centre, coloured by visible state, with their ties across teams
    and a legend counting each state."""

    def __init__(self, model: AdoptionModel, ax: Axes) -> None:
        org, workforce = model.organisation, model.workforce
        self.horizon = model.spec.weeks
        positions = organisation_layout(org)
        centres = team_centres(org.n_teams)
        draw_teams(ax, centres, org.team_back_office)
        draw_ties(ax, positions, workforce.ties)
        if org.n_teams <= LABELLED_TEAMS:
            label_teams(ax, centres, PilotNames.of(model).teams)
        size = float(np.clip(12000 / workforce.size, 4, 60))
        self.dots = ax.scatter(
            *positions.T, s=np.where(workforce.manager, 1.8 * size, size), edgecolors="white", linewidths=0.4, zorder=2
        )
        handles = [Line2D([], [], ls="", marker="o", markersize=7, color=colour) for colour in STATE_COLOURS]
        self.legend = ax.legend(
            handles, STATE_LABELS, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=2, fontsize=8, frameon=False
        )
        self.title = ax.set_title("", fontsize=10)
        reach = np.abs(centres).max() + RING + 0.9
        ax.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal")
        ax.set_axis_off()
        self.dynamic = [self.dots, self.legend, self.title]
        self.update(model)

    def update(self, model: AdoptionModel) -> None:
        """Colour each employee by this week's state and count the states in the legend."""
        states = model.employee_states()
        self.dots.set_facecolors(np.asarray(STATE_COLOURS)[states])
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


def label_teams(ax: Axes, centres: np.ndarray, names: tuple[str, ...]) -> None:
    """Each team's name just outside its disc, away from the middle."""
    outward = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    for (x, y), (dx, dy), name in zip(centres + outward * (RING + 0.2), outward, names, strict=True):
        ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
        va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
        ax.text(x, y, name, ha=ha, va=va, fontsize=6.5, color="#555555")


class TrendsPicture:
    """Week by week: what dashboards see (regular users) against genuine adoption (engaged adopters), and
    anxiety. The axes span the whole horizon and [0, 1], so the lines grow across a fixed frame."""

    SERIES = (
        ("usage_rate", "regular users (usage)", USAGE_COLOUR, 0),
        ("engagement_rate", "engaged adopters", ENGAGEMENT_COLOUR, 0),
        ("mean_anxiety", "mean AI anxiety", ANXIETY_COLOUR, 1),
    )
    """Record key, label, colour and which of the two axes."""

    def __init__(self, model: AdoptionModel, usage_ax: Axes, anxiety_ax: Axes) -> None:
        axes = (usage_ax, anxiety_ax)
        self.lines = {key: axes[i].plot([], [], color=c, lw=2, label=label)[0] for key, label, c, i in self.SERIES}
        for ax, title in zip(axes, ("usage is not adoption", "AI anxiety"), strict=True):
            ax.set(xlim=(0, model.spec.weeks), ylim=(0, 1.04))
            ax.set_title(title, fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", fontsize=8, frameon=False)
            ax.tick_params(labelsize=8)
        usage_ax.set_ylabel("share of employees", fontsize=8)
        anxiety_ax.set_xlabel("week", fontsize=8)
        self.dynamic = list(self.lines.values())
        self.update(model)

    def update(self, model: AdoptionModel) -> None:
        """Redraw the lines from the model's weekly records (head-count weighted over its firms)."""
        records = list(model.records)  # the weeks and the values from the same records
        weeks = [record["week"][0] for record in records]
        for key, line in self.lines.items():
            line.set_data(weeks, [np.average(record[key], weights=record["employees"]) for record in records])


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


def organisation_figure(model: AdoptionModel, dpi: float) -> LiveFigure:
    """The network of employees alone, for the app."""
    figure = Figure(figsize=(4.8, 4.8), dpi=dpi, layout="tight")
    return LiveFigure(figure, [OrganisationPicture(model, figure.subplots())])


def trends_figure(model: AdoptionModel, dpi: float) -> LiveFigure:
    """Usage against engagement above anxiety, for the app."""
    figure = Figure(figsize=(5.2, 4.4), dpi=dpi, layout="tight")
    usage_ax, anxiety_ax = figure.subplots(2, 1, sharex=True)
    return LiveFigure(figure, [TrendsPicture(model, usage_ax, anxiety_ax)])


def slide_figure(model: AdoptionModel, dpi: float) -> LiveFigure:
    """The network on the left and the two charts on the right, titled with the scenario, for animations."""
    figure = Figure(figsize=(10, 5.2), dpi=dpi, layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=(1.1, 1))
    usage_ax, anxiety_ax = right.subplots(2, 1, sharex=True)
    figure.suptitle(model.spec.name)
    return LiveFigure(figure, [OrganisationPicture(model, left.subplots()), TrendsPicture(model, usage_ax, anxiety_ax)])
