"""The model's numeric state as arrays, and how it is initialised from the scenario.

`Workforce` holds one entry per employee, `Organisation` one per team and per firm. Rules read and
write these arrays; Mesa agents only point into them (see agents.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.schema import Firm, Params

SHARED_PLATFORM = 0
"""Platform 0 is the firm's integrated, shared platform; 1.. are the teams' own choices."""


@dataclass
class Workforce:
    """Per-employee state: identity (firm, team, role, innovativeness) and the five weekly states."""

    firm: np.ndarray
    team: np.ndarray
    manager: np.ndarray
    innovativeness: np.ndarray
    threshold: np.ndarray
    prior: np.ndarray
    attitude: np.ndarray
    anxiety: np.ndarray
    skill: np.ndarray
    usage: np.ndarray
    engagement: np.ndarray
    adopted: np.ndarray
    ties: np.ndarray

    @property
    def size(self) -> int:
        """Number of employees."""
        return len(self.team)


@dataclass
class Organisation:
    """Per-team and per-firm state: structure, levers, psychological safety and firm-wide signals.
    Employees are stored contiguously by firm and by team, from `firm_start` and `team_start` (the first
    member of each team is its manager). `firm_employees` is the real head count; `firm_agents` the employees
    simulated, fewer where a firm is sampled by whole teams, each standing for `team_represents` of its teams.

    The last six fields are this week's conditions: the base levers as changed by active interventions,
    set afresh every week by sim.interventions before the rules read them."""

    team_firm: np.ndarray
    team_back_office: np.ndarray
    team_platform: np.ndarray
    team_members: np.ndarray
    team_represents: np.ndarray
    team_start: np.ndarray
    team_base_safety: np.ndarray
    team_safety: np.ndarray
    firm_employees: np.ndarray
    firm_agents: np.ndarray
    firm_teams: np.ndarray
    firm_start: np.ndarray
    firm_use_cases: np.ndarray
    firm_threat: np.ndarray
    firm_infrastructure: np.ndarray
    firm_alignment: np.ndarray
    firm_culture: np.ndarray
    firm_mandate: np.ndarray
    firm_visibility: np.ndarray
    firm_automation: np.ndarray
    firm_knowledge: np.ndarray
    firm_revenue: np.ndarray
    firm_savings: np.ndarray
    team_threat: np.ndarray
    team_mandate: np.ndarray
    team_champions: np.ndarray
    firm_direction: np.ndarray
    firm_governance: np.ndarray
    firm_back_office_push: np.ndarray

    @property
    def n_teams(self) -> int:
        """Number of teams across all firms."""
        return len(self.team_firm)

    @property
    def use_case_stride(self) -> int:
        """Room for every firm's use cases when (firm, kind, use case) is packed into one integer key."""
        return int(self.firm_use_cases.max())

    @property
    def n_firms(self) -> int:
        """Number of firms."""
        return len(self.firm_employees)


def team_sizes(firm: Firm) -> np.ndarray:
    """Head count of each simulated team: the firm's own teams where it lists them (`firm.teams`); else full
    teams of `team_size`, the remainder joining the last one; or, where the firm simulates fewer `agents` than
    it employs, as many full teams as fit in `agents`."""
    if firm.teams is not None:
        return np.array([team.members for team in firm.teams], dtype=np.int64)
    if firm.agents is not None and firm.agents < firm.employees:
        return np.full(max(1, firm.agents // firm.team_size), firm.team_size, dtype=np.int64)
    n_teams = max(1, firm.employees // firm.team_size)
    sizes = np.full(n_teams, firm.team_size, dtype=np.int64)
    sizes[-1] += firm.employees - sizes.sum()
    return sizes


def real_teams(firm: Firm) -> int:
    """The firm's real number of teams: its own teams where it lists them, else `employees // team_size`."""
    return len(firm.teams) if firm.teams is not None else max(1, firm.employees // firm.team_size)


def teams_represented(firm: Firm) -> float:
    """How many of the firm's real teams each simulated team stands for: 1 unless the firm is sampled, when
    a sample of whole teams stands for all of them (super-individuals at the team level, Scheffer et al. 1995):
    team-level mechanisms keep real team sizes, firm-level ones see the firm's real number of teams."""
    return real_teams(firm) / len(team_sizes(firm))


TEAM_STATES = ("attitude", "anxiety", "skill", "usage", "adopters", "safety")
"""The initial-state means a firm's own team may give (`OrgTeam`)."""


def given_per_team(firms: list[Firm], name: str) -> np.ndarray:
    """One value per simulated team of an `OrgTeam` field (an initial-state mean, or the platform), NaN where a
    team does not give it (every generated team)."""
    values = [
        [np.nan if getattr(team, name) is None else float(getattr(team, name)) for team in f.teams]
        if f.teams is not None
        else [np.nan] * len(team_sizes(f))
        for f in firms
    ]
    return np.concatenate([np.asarray(v, dtype=np.float64) for v in values])


def build_organisation(firms: list[Firm], params: Params, rng: np.random.Generator) -> tuple[Organisation, np.ndarray]:
    """Teams and firms from the scenario; also returns each team's head count."""
    sizes = [team_sizes(f) for f in firms]
    team_firm = np.concatenate([np.full(len(s), i, dtype=np.int64) for i, s in enumerate(sizes)])
    counts = np.concatenate(sizes)
    agents = np.array([s.sum() for s in sizes], dtype=np.int64)
    front_share = np.array([f.front_office_share for f in firms])[team_firm]
    culture = np.array([f.levers.culture for f in firms])
    infrastructure = np.array([f.levers.infrastructure for f in firms])
    base_safety = np.clip(culture[team_firm] + rng.normal(0, params.teams.safety_spread, len(team_firm)), 0, 1)
    surveyed_safety = given_per_team(firms, "safety")
    base_safety = np.where(np.isnan(surveyed_safety), base_safety, surveyed_safety)
    back_office = rng.random(len(team_firm)) >= front_share
    function = np.concatenate(
        [
            [t.function == "back-office" for t in f.teams] if f.teams is not None else [-1] * len(s)
            for f, s in zip(firms, sizes, strict=True)
        ]
    ).astype(np.int64)
    platform = choose_team_platforms(firms, team_firm, infrastructure, rng)
    own_platform = given_per_team(firms, "platform")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_firms = len(firms)
    return (
        Organisation(
            team_firm=team_firm,
            team_back_office=np.where(function < 0, back_office, function == 1),
            team_platform=np.where(np.isnan(own_platform), platform, np.nan_to_num(own_platform)).astype(np.int64),
            team_members=counts.astype(np.float64),
            team_represents=np.concatenate(
                [np.full(len(s), teams_represented(f)) for s, f in zip(sizes, firms, strict=True)]
            ),
            team_start=starts,
            team_base_safety=base_safety,
            team_safety=base_safety.copy(),
            firm_employees=np.array([f.employees for f in firms], dtype=np.float64),
            firm_agents=agents.astype(np.float64),
            firm_teams=np.array([real_teams(f) for f in firms], dtype=np.float64),
            firm_start=np.concatenate([[0], np.cumsum(agents)[:-1]]).astype(np.int64),
            firm_use_cases=use_case_catalogue(firms, params),
            firm_threat=np.array([f.perceived_threat for f in firms]),
            firm_infrastructure=infrastructure,
            firm_alignment=np.array([f.levers.alignment for f in firms]),
            firm_culture=culture,
            firm_mandate=np.array([f.mandate for f in firms]),
            firm_visibility=np.zeros(n_firms),
            firm_automation=np.zeros(n_firms),
            firm_knowledge=np.zeros(n_firms),
            firm_revenue=np.zeros(n_firms),
            firm_savings=np.zeros(n_firms),
            team_threat=np.array([f.perceived_threat for f in firms])[team_firm],
            team_mandate=np.array([f.mandate for f in firms])[team_firm],
            team_champions=np.zeros(len(team_firm)),
            firm_direction=np.array([f.levers.alignment for f in firms]),
            firm_governance=np.array([f.levers.alignment for f in firms]),
            firm_back_office_push=np.zeros(n_firms),
        ),
        counts,
    )


def use_case_catalogue(firms: list[Firm], params: Params) -> np.ndarray:
    """Distinct use cases of each kind open to each firm: `pilots.use_cases` at 1,000 employees, growing with
    the square root of head count (larger firms have more distinct processes, not proportionally more)."""
    employees = np.array([f.employees for f in firms], dtype=np.float64)
    return np.maximum(1, np.round(params.pilots.use_cases * np.sqrt(employees / 1000))).astype(np.int64)


def choose_team_platforms(
    firms: list[Firm], team_firm: np.ndarray, infrastructure: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Each team's platform: the shared one with probability = infrastructure integration, else its own pick."""
    n_platforms = np.array([f.platforms for f in firms])[team_firm]
    on_shared = rng.random(len(team_firm)) < infrastructure[team_firm]
    own_pick = 1 + np.floor(rng.random(len(team_firm)) * np.maximum(n_platforms - 1, 1)).astype(np.int64)
    return np.where(on_shared | (n_platforms == 1), SHARED_PLATFORM, own_pick)


def build_workforce(
    org: Organisation,
    counts: np.ndarray,
    params: Params,
    ties_per_employee: int,
    rng: np.random.Generator,
    firms: list[Firm] | None = None,
) -> Workforce:
    """Employees with Rogers-style innovativeness, Granovetter thresholds and initial attitude, anxiety, skill.
    The most innovative `initial_adopters` already use AI by choice at week 0, at an adopter's lowest usage
    (none by default, when the tools are new; 12% in the shipped population, whose week 0 is mid-2023: 12% of
    employed US adults had used ChatGPT for work by July 2023, Pew); nobody has yet integrated it into their
    work.

    A firm's own team that gives survey means (`firm.teams`, from `adoptsim org import`) centres its members'
    attitude, anxiety and skill on them (same spreads and draws); its `usage` is every member's usage and its
    `adopters` the share of its most innovative members who start as adopters."""
    team = np.repeat(np.arange(len(counts)), counts)
    firm = org.team_firm[team]
    n = len(team)
    given = {name: given_per_team(firms, name)[team] if firms else np.full(n, np.nan) for name in TEAM_STATES}
    innovativeness = rng.random(n)
    manager = np.zeros(n, dtype=bool)
    manager[org.team_start] = True
    a = params.attitude
    attitude_mean = np.where(np.isnan(given["attitude"]), a.initial, given["attitude"])
    prior = np.clip(
        attitude_mean + a.spread * rng.standard_normal(n) + a.innovativeness_weight * (innovativeness - 0.5), 0, 1
    )
    anxiety_mean = params.anxiety.baseline + params.anxiety.threat_weight * org.firm_threat[firm]
    anxiety_mean = np.where(np.isnan(given["anxiety"]), anxiety_mean, given["anxiety"])
    skill_mean = np.where(np.isnan(given["skill"]), params.skill.initial, given["skill"])
    adopted = innovativeness >= 1 - params.adoption.initial_adopters
    if not np.isnan(given["adopters"]).all():
        adopted = surveyed_adopters(team, counts, innovativeness, given["adopters"], adopted)
    usage = np.where(np.isnan(given["usage"]), params.usage.committed_floor * adopted, given["usage"])
    return Workforce(
        firm=firm,
        team=team,
        manager=manager,
        innovativeness=innovativeness,
        threshold=params.adoption.threshold_spread * (1 - innovativeness),
        prior=prior,
        attitude=prior.copy(),
        anxiety=np.clip(anxiety_mean + params.anxiety.spread * rng.standard_normal(n), 0, 1),
        skill=np.clip(skill_mean + params.skill.spread * rng.standard_normal(n), 0, 1),
        usage=usage,
        engagement=np.zeros(n),
        adopted=adopted,
        ties=draw_cross_team_ties(firm, team, org, ties_per_employee, rng),
    )


def surveyed_adopters(
    team: np.ndarray, counts: np.ndarray, innovativeness: np.ndarray, share: np.ndarray, adopted: np.ndarray
) -> np.ndarray:
    """Adopters where a team gives their share: its round(adopters x members) most innovative members (an exact
    share, no draw); elsewhere `adopted` as drawn."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.lexsort((-innovativeness, team))  # by team, most innovative first
    rank = np.empty(len(team), dtype=np.int64)
    rank[order] = np.arange(len(team)) - starts[team[order]]
    return np.where(np.isnan(share), adopted, rank < np.round(np.nan_to_num(share) * counts[team]))


def draw_cross_team_ties(
    firm: np.ndarray, team: np.ndarray, org: Organisation, k: int, rng: np.random.Generator
) -> np.ndarray:
    """k ties per employee to random colleagues of the same firm, outside their own team where possible."""
    firm_size = org.firm_agents.astype(np.int64)
    start, size = org.firm_start[firm][:, None], firm_size[firm][:, None]
    ties = start + np.floor(rng.random((len(team), k)) * size).astype(np.int64)
    for _ in range(3):
        same_team = team[ties] == team[:, None]
        if not same_team.any():
            break
        redraw = start + np.floor(rng.random(ties.shape) * size).astype(np.int64)
        ties = np.where(same_team, redraw, ties)
    return ties
