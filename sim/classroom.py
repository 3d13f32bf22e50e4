"""The classroom model: `AdoptionModel` built from the handful of settings the app's sliders set, and the
week's pilot events told in plain words for the app's event feed.

The app's Reset button calls `type(model)(**settings)`, so the model takes every setting as a keyword: a base
scenario plus the foundations, threat, mandate, pilot intake, team structure and seed. Events are found by
comparing the pilot table before and after each week, so the core model needs no hook for them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.model import AdoptionModel
from sim.pilots import (
    ABANDONED,
    ACTIVE,
    BACK,
    IDEA,
    MERGED,
    NO_DUPLICATE,
    PILOT,
    POC,
    PRODUCTION,
    SCALED,
    STALLED,
    PilotTable,
)
from sim.scenario import load_scenario
from sim.schema import Scenario
from sim.state import team_sizes

SCENARIO_VARIABLE = "ADOPTSIM_APP_SCENARIO"
OVERRIDES_VARIABLE = "ADOPTSIM_APP_OVERRIDES"
"""How `adoptsim app` tells the app, served in another process, which scenario to start from."""

FRONT_TEAMS = ("Marketing", "Sales", "Customer Service", "Communications", "E-commerce", "Product")
BACK_TEAMS = ("Operations", "Finance", "Supply Chain", "HR", "IT", "Procurement", "Legal", "Data", "Logistics")
FRONT_USE_CASES = (
    "campaign copy",
    "sales assistant",
    "service chatbot",
    "press summaries",
    "product descriptions",
    "lead scoring",
    "social listening",
    "email drafting",
    "meeting notes",
    "personalised offers",
    "call summaries",
    "FAQ search",
)
BACK_USE_CASES = (
    "forecasting",
    "invoice matching",
    "demand planning",
    "document processing",
    "scheduling",
    "quality inspection",
    "contract review",
    "reporting",
    "fraud detection",
    "inventory optimisation",
    "data cleaning",
    "payroll checks",
)
"""Made-up but typical names: the model knows a team's function and a use case's kind and number only."""

REACHED = {
    POC: "{team} started a proof of concept: {use}",
    PILOT: "the {team} {use} proof of concept became a pilot",
    PRODUCTION: "the {team} {use} pilot reached production",
    SCALED: "the {team} {use} pilot scaled across teams",
}
BECAME = {
    STALLED: "the {team} {use} pilot stalled",
    ACTIVE: "the {team} {use} pilot got going again",
    ABANDONED: "the {team} {use} pilot was abandoned",
    MERGED: "the {team} {use} pilot was merged into a duplicate",
}
DUPLICATED = "{team} proposed {use}, which another team is already building (a duplicate)"
MERGED_PROPOSALS = (
    "governance merged a duplicate proposal before it started",
    "governance merged {merged} duplicate proposals before they started",
)


SOLARA_PRIVACY = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_TELEMETRY_MIXPANEL_TOKEN": "",
    "SOLARA_TELEMETRY_SERVER_USER_ID": "none",
}
"""Solara's usage telemetry off, whatever the user's environment or a `.env` file says (environment variables
take precedence over `.env`). Enabled, a Solara server looks up its public address at api.ipify.org and posts to
api.mixpanel.com at start, daily and at stop. The empty token and the fixed user id are belt and braces: no
project to file an event under, and no tracking id written to ~/.solara/server_user_id.txt. (Solara's check for a
newer version on PyPI is turned off by `--no-check-version` on its command line.)"""


SOLARA_LOOK = {"SOLARA_THEME_SHOW_BANNER": "false"}
"""No "This website runs on Solara" banner: on a projector it covered the end of the Info text."""


def app_environment(path: Path, overrides: list[str]) -> dict[str, str]:
    """The environment for the app's server: the scenario file and the --set overrides to start from, Solara's
    telemetry off and its banner hidden. Solara reads its variables in upper or lower case, so the user's own
    settings of these are left out whatever their case."""
    fixed = {**SOLARA_PRIVACY, **SOLARA_LOOK}
    inherited = {key: value for key, value in os.environ.items() if key.upper() not in fixed}
    return {**inherited, **fixed, SCENARIO_VARIABLE: str(path), OVERRIDES_VARIABLE: json.dumps(overrides)}


def scenario_from_environment(environment: Mapping[str, str]) -> Scenario:
    """The scenario the app starts from, as `app_environment` set it (the baseline when it is not set)."""
    overrides = json.loads(environment.get(OVERRIDES_VARIABLE, "[]"))
    return load_scenario(environment.get(SCENARIO_VARIABLE, "baseline"), overrides)


def classroom_scenario(
    base: Scenario,
    firm: dict[str, float],
    levers: dict[str, float],
    pilots: dict[str, float],
    teams: int | None,
    team_size: int | None,
) -> Scenario:
    """The base scenario with the given fields of its firm, levers and pilot parameters replaced, and, where
    `teams` or `team_size` is given, a firm of `teams` teams of `team_size` (the other from the base). A
    population of firms is replaced by its template firm: the classroom watches one organisation."""
    data = base.model_dump()
    data["firm"].update(firm)
    data["firm"]["levers"].update(levers)
    data["params"]["pilots"].update(pilots)
    if teams is not None or team_size is not None:
        size = team_size if team_size is not None else base.firm.team_size
        count = teams if teams is not None else len(team_sizes(base.firm))
        data["firm"].update(employees=count * size, team_size=size)
    data["population"] = None
    return Scenario.model_validate(data)


def given(**settings: float | None) -> dict[str, float]:
    """The settings that were given (not None)."""
    return {key: value for key, value in settings.items() if value is not None}


class ClassroomModel(AdoptionModel):
    """An AdoptionModel made from classroom settings, which keeps a feed of its pilots' events in plain words.

    Without settings it is exactly the base scenario's model (the same seed gives the same run).

    The app steps the model in one thread and draws it in another: `lock` is held for a whole week's step and
    must be held while reading the model for a picture, so that no picture mixes two weeks. A step at the
    horizon does nothing (however many weeks a frame asks for, a run ends at its last week)."""

    def __init__(
        self,
        base: Scenario | None = None,
        infrastructure: float | None = None,
        alignment: float | None = None,
        culture: float | None = None,
        threat: float | None = None,
        mandate: float | None = None,
        intake: float | None = None,
        teams: int | None = None,
        team_size: int | None = None,
        seed: int = 0,
    ) -> None:
        spec = classroom_scenario(
            base if base is not None else Scenario(),
            firm=given(threat=threat, mandate=mandate),
            levers=given(infrastructure=infrastructure, alignment=alignment, culture=culture),
            pilots=given(intake=intake),
            teams=teams,
            team_size=team_size,
        )
        super().__init__(spec, rng=seed)
        self.seed = seed
        self.settings = {"infrastructure": infrastructure, "alignment": alignment, "culture": culture}
        self.settings |= {"threat": threat, "mandate": mandate, "intake": intake, "teams": teams}
        self.settings |= {"team_size": team_size, "seed": seed}
        self.names = PilotNames.of(self)
        self.events: list[str] = []
        self.lock = threading.RLock()
        self.timed_step = self.step  # Mesa's: counts the week, then calls ClassroomModel.step
        self.step = self.step_to_horizon

    @property
    def finished(self) -> bool:
        """Whether the run has reached its horizon."""
        return self.week >= self.spec.weeks

    def step_to_horizon(self) -> None:
        """What `model.step()` does: a week, under the lock, unless the run is at its horizon (Mesa counts the
        week before the model's own step runs, so the check comes first)."""
        with self.lock:
            if self.finished:
                self.running = False
                return
            self.timed_step()

    def step(self) -> None:
        """One week of the model, then this week's pilot events added to the feed."""
        before = FunnelSnapshot.of(self)
        super().step()
        self.events.extend(f"week {self.week}: {event}" for event in week_events(before, self))


@dataclass(frozen=True)
class FunnelSnapshot:
    """The pilot table's stages and statuses, and the duplicates merged so far, at one moment."""

    stage: np.ndarray
    status: np.ndarray
    merged: float

    @classmethod
    def of(cls, model: AdoptionModel) -> FunnelSnapshot:
        """A copy of the model's funnel now."""
        return cls(model.pilots.stage.copy(), model.pilots.status.copy(), float(model.duplicates_merged.sum()))


@dataclass(frozen=True)
class PilotNames:
    """Readable names for teams and use cases, so that events read like news from a real firm."""

    teams: tuple[str, ...]

    @classmethod
    def of(cls, model: AdoptionModel) -> PilotNames:
        """Names for the model's teams: front-office teams after front-office functions, the rest after back-office
        ones, numbered where a function repeats."""
        back_office = model.organisation.team_back_office
        rank = np.zeros(len(back_office), dtype=np.int64)
        for is_back in (False, True):
            members = back_office == is_back
            rank[members] = np.arange(members.sum())
        names = (numbered(BACK_TEAMS if back else FRONT_TEAMS, k) for back, k in zip(back_office, rank, strict=True))
        return cls(tuple(names))

    def pilot(self, table: PilotTable, row: int) -> dict[str, str]:
        """The owning team's name and the use case's name of one pilot."""
        uses = BACK_USE_CASES if table.kind[row] == BACK else FRONT_USE_CASES
        return {"team": self.teams[table.team[row]], "use": numbered(uses, int(table.use_case[row]))}


def numbered(names: tuple[str, ...], k: int) -> str:
    """The k-th name of a list, numbered from the second time round: Sales, ..., Sales 2."""
    rounds, index = divmod(int(k), len(names))
    return names[index] if rounds == 0 else f"{names[index]} {rounds + 1}"


def week_events(before: FunnelSnapshot, model: ClassroomModel) -> list[str]:
    """What happened to pilots between a snapshot and now: duplicates proposed, duplicates merged by governance,
    stages reached and changes of status (stalled, resumed, abandoned, merged). New pilots count as ideas
    that were active."""
    table, names = model.pilots, model.names
    new_rows = len(table) - len(before.stage)
    stage_before = np.concatenate([before.stage, np.zeros(new_rows, dtype=np.int64)])
    status_before = np.concatenate([before.status, np.full(new_rows, ACTIVE)])
    events = [
        DUPLICATED.format(**names.pilot(table, row))
        for row in range(len(before.stage), len(table))
        if table.duplicate_of[row] != NO_DUPLICATE
    ]
    merged = int(model.duplicates_merged.sum() - before.merged)
    if merged:
        events.append(MERGED_PROPOSALS[merged > 1].format(merged=merged))
    events += [
        REACHED[table.stage[row]].format(**names.pilot(table, row))
        for row in np.flatnonzero(table.stage > stage_before)
    ]
    events += [
        BECAME[table.status[row]].format(**names.pilot(table, row))
        for row in np.flatnonzero(table.status != status_before)
    ]
    return events


FUNNEL_LABELS = ("ideas", "proofs of concept", "pilots", "in production", "scaled", "stalled now", "abandoned")


def funnel_counts(table: PilotTable) -> dict[str, int]:
    """Pilots that ever reached each stage (a pilot keeps the furthest stage it reached), those stalled now
    and those abandoned."""
    reached = [int((table.stage >= stage).sum()) for stage in (IDEA, POC, PILOT, PRODUCTION, SCALED)]
    ended = [int((table.status == STALLED).sum()), int((table.status == ABANDONED).sum())]
    return dict(zip(FUNNEL_LABELS, reached + ended, strict=True))
