"""Interventions: changes a firm makes on a timeline, each kind acting on the model in exactly one function.

Every week `Timeline.apply` first resets this week's conditions (threat, mandate, champions, direction,
governance, back-office push) to the scenario's base levers, then lets each active intervention act on its
target teams. Transient effects (reassurance, a mandate, sponsorship, a centre of excellence, champions)
last while the intervention runs; investments (training, the safety programme, infrastructure,
consolidation) change state that persists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.pilots import MERGED, NO_DUPLICATE, PRODUCTION, PilotTable
from sim.schema import Intervention, Params, Target
from sim.state import SHARED_PLATFORM, Organisation, Workforce


@dataclass
class Context:
    """What an intervention may act on."""

    workforce: Workforce
    organisation: Organisation
    pilots: PilotTable
    params: Params
    rng: np.random.Generator
    week: int


def train(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """AI training and upskilling: members of target teams gain AI skill."""
    w = ctx.workforce
    members = teams[w.team]
    w.skill[members] += ctx.params.effects.training * intensity * (1 - w.skill[members])


def reassure(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Job-security reassurance and communication: lowers the threat employees perceive, while it lasts."""
    ctx.organisation.team_threat[teams] *= 1 - ctx.params.effects.reassurance * intensity


def train_managers_in_safety(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Psychological-safety programme for managers: raises target teams' base safety for good."""
    org = ctx.organisation
    org.team_base_safety[teams] += ctx.params.effects.safety_programme * intensity * (1 - org.team_base_safety[teams])


def mandate_usage(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Usage mandate with monitoring: adds pressure to use AI, while it lasts."""
    org = ctx.organisation
    org.team_mandate[teams] = np.minimum(1, org.team_mandate[teams] + ctx.params.effects.mandate * intensity)


def sponsor(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Executive sponsorship with KPIs: strengthens strategic direction in the target teams' firms."""
    org = ctx.organisation
    firms = firms_of(teams, org)
    org.firm_direction[firms] += ctx.params.effects.sponsorship * intensity * (1 - org.firm_direction[firms])


def invest_in_infrastructure(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Data and platform integration investment: infrastructure integration rises slowly, and stays."""
    org = ctx.organisation
    firms = firms_of(teams, org)
    gap = 1 - org.firm_infrastructure[firms]
    org.firm_infrastructure[firms] += intensity * gap / ctx.params.effects.infrastructure_weeks


def consolidate_platforms(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Platform consolidation: target teams move to the shared platform, taking their pilots that are not
    yet in production with them."""
    org, table = ctx.organisation, ctx.pilots
    off_shared = teams & (org.team_platform != SHARED_PLATFORM)
    moving = off_shared & (ctx.rng.random(org.n_teams) < ctx.params.effects.consolidation * intensity)
    org.team_platform[moving] = SHARED_PLATFORM
    follows = moving[table.team] & table.live & (table.stage < PRODUCTION)
    table.platform[follows] = SHARED_PLATFORM


def govern_portfolio(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """AI centre of excellence: catches duplicates before they start, merges live ones not yet in production,
    ties pilots to strategy and steers new proposals toward back-office value."""
    org, table, effects, rng = ctx.organisation, ctx.pilots, ctx.params.effects, ctx.rng
    firms = firms_of(teams, org)
    org.firm_governance[firms] = np.maximum(org.firm_governance[firms], intensity)
    org.firm_back_office_push[firms] += effects.coe_back_office * intensity
    in_scope = teams[table.team] & table.live
    original = np.where(table.duplicate_of == NO_DUPLICATE, 0, table.duplicate_of)
    duplicate = in_scope & (table.duplicate_of != NO_DUPLICATE) & table.live[original] & (table.stage < PRODUCTION)
    merged = duplicate & (rng.random(len(table)) < effects.coe_merge * intensity)
    table.status[merged] = MERGED
    table.week_ended[merged] = ctx.week
    tied = in_scope & ~table.aligned & (rng.random(len(table)) < effects.coe_alignment * intensity)
    table.aligned[tied] = True


def appoint_champions(ctx: Context, teams: np.ndarray, intensity: float) -> None:
    """Champions network: a champion in each target team models adoption and helps colleagues, while it lasts."""
    org = ctx.organisation
    org.team_champions[teams] = np.maximum(org.team_champions[teams], intensity)


EFFECTS: dict[str, Callable[[Context, np.ndarray, float], None]] = {
    "training": train,
    "reassurance": reassure,
    "safety-programme": train_managers_in_safety,
    "mandate": mandate_usage,
    "sponsorship": sponsor,
    "infrastructure": invest_in_infrastructure,
    "consolidation": consolidate_platforms,
    "centre-of-excellence": govern_portfolio,
    "champions": appoint_champions,
}


def firms_of(teams: np.ndarray, org: Organisation) -> np.ndarray:
    """Which firms have at least one of the given teams."""
    return np.bincount(org.team_firm[teams], minlength=org.n_firms) > 0


def target_teams(target: Target, org: Organisation) -> np.ndarray:
    """The teams an intervention reaches, as a mask over all teams."""
    mask = np.ones(org.n_teams, dtype=bool)
    if target.functions is not None:
        back = np.array(["back-office" in target.functions])
        front = np.array(["front-office" in target.functions])
        mask &= np.where(org.team_back_office, back, front)
    if target.teams is not None:
        mask &= np.isin(np.arange(org.n_teams), target.teams)
    return mask


def reset_conditions(org: Organisation) -> None:
    """This week's conditions before any intervention acts: the scenario's base levers."""
    org.team_threat = org.firm_threat[org.team_firm].copy()
    org.team_mandate = org.firm_mandate[org.team_firm].copy()
    org.team_champions = np.zeros(org.n_teams)
    org.firm_direction = org.firm_alignment.copy()
    org.firm_governance = org.firm_alignment.copy()
    org.firm_back_office_push = np.zeros(org.n_firms)


class Timeline:
    """The scenario's interventions at run time: when each starts per firm, what it acts on, what it costs."""

    def __init__(self, interventions: list[Intervention], org: Organisation, horizon: int) -> None:
        self.interventions = interventions
        self.horizon = horizon
        self.targets = [target_teams(i.target, org) for i in interventions]
        self.started = np.full((len(interventions), org.n_firms), -1)
        self.weeks_active = np.zeros((len(interventions), org.n_firms), dtype=np.int64)
        self.spent = np.zeros((len(interventions), org.n_firms))

    def extend(self, interventions: list[Intervention], org: Organisation, week: int) -> None:
        """Add interventions decided during a run (the game's quarters), after `week` weeks have run.

        Each must start after that week: an intervention that has not started yet neither acts, draws nor
        costs anything, so a run whose timeline grows this way is the same, to the bit, as one that listed
        every intervention, in the same order, from the start."""
        early = [i.label for i in interventions if i.start <= week]
        if early:
            raise ValueError(f"interventions added after week {week} must start later; these do not: {early}")
        n_firms = org.n_firms
        self.interventions = [*self.interventions, *interventions]
        self.targets += [target_teams(i.target, org) for i in interventions]
        self.started = np.vstack([self.started, np.full((len(interventions), n_firms), -1)])
        self.weeks_active = np.vstack([self.weeks_active, np.zeros((len(interventions), n_firms), dtype=np.int64)])
        self.spent = np.vstack([self.spent, np.zeros((len(interventions), n_firms))])

    def apply(self, ctx: Context, last_week: dict[str, np.ndarray]) -> None:
        """Reset this week's conditions, then let every active intervention act on its targets."""
        org = ctx.organisation
        reset_conditions(org)
        for i, intervention in enumerate(self.interventions):
            active = self.active_firms(i, ctx.week, last_week)
            teams = self.targets[i] & active[org.team_firm]
            if teams.any():
                EFFECTS[intervention.kind](ctx, teams, intervention.intensity)
            self.weeks_active[i, active] += 1
            self.spent[i, active] += intervention.cost / self.planned_weeks(intervention)
        org.firm_governance = np.maximum(org.firm_governance, org.firm_direction)

    def active_firms(self, i: int, week: int, last_week: dict[str, np.ndarray]) -> np.ndarray:
        """Firms in which intervention i acts this week, starting it where its start and trigger allow."""
        intervention = self.interventions[i]
        waiting = self.started[i] < 0
        if week >= intervention.start:
            ready = waiting & triggered(intervention, last_week)
            self.started[i, ready] = week
        started = self.started[i]
        return (started >= 0) & (week <= self.last_week(intervention, started))

    def last_week(self, intervention: Intervention, started: np.ndarray) -> np.ndarray:
        """The last week an intervention acts, per firm, given when it started."""
        if intervention.duration is not None:
            return started + intervention.duration - 1
        return np.full_like(started, intervention.end or self.horizon)

    def planned_weeks(self, intervention: Intervention) -> int:
        """The span its cost is spread over: its duration, or from start to its end (or the horizon)."""
        if intervention.duration is not None:
            return intervention.duration
        return max(1, (intervention.end or self.horizon) - intervention.start + 1)

    def report(self) -> list[dict]:
        """Per intervention: when it started (first firm), weeks it acted and what it cost, summed over firms."""
        return [
            {
                "name": intervention.label,
                "kind": intervention.kind,
                "first_week": int(started[started >= 0].min()) if (started >= 0).any() else None,
                "weeks_active": int(weeks.sum()),
                "cost": float(spent.sum()),
            }
            for intervention, started, weeks, spent in zip(
                self.interventions, self.started, self.weeks_active, self.spent, strict=True
            )
        ]

    @property
    def cost_per_firm(self) -> np.ndarray:
        """Total spent so far in each firm."""
        return self.spent.sum(axis=0)


def triggered(intervention: Intervention, last_week: dict[str, np.ndarray]) -> np.ndarray | bool:
    """Whether its trigger condition held in last week's figures, per firm (always true without one)."""
    trigger = intervention.trigger
    if trigger is None:
        return True
    value = last_week[trigger.metric]
    return value > trigger.above if trigger.above is not None else value < trigger.below
