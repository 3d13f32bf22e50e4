"""The pilot funnel: a table of pilots (one row each, columns as arrays) and the weekly pilot rules.

Stages run idea -> proof of concept -> pilot -> production -> scaled across teams. A pilot that is not
ready may stall; a stalled pilot resumes or, after `abandon_after` weeks, is abandoned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from sim.rules import firm_mean, team_mean
from sim.schema import Firm, Params, Pilots
from sim.state import SHARED_PLATFORM, Organisation, Workforce, team_sizes

STAGES = ("idea", "poc", "pilot", "production", "scaled")
IDEA, POC, PILOT, PRODUCTION, SCALED = range(5)
ACTIVE, STALLED, ABANDONED, MERGED = range(4)
FRONT, BACK = 0, 1
KINDS = ("front-office", "back-office")
NO_DUPLICATE = -1


def empty(dtype: type) -> Callable[[], np.ndarray]:
    """A factory of empty columns of one type."""
    return lambda: np.zeros(0, dtype)


@dataclass
class PilotTable:
    """All pilots ever proposed and kept (merged duplicates are only counted), one array per column."""

    firm: np.ndarray = field(default_factory=empty(np.int64))
    team: np.ndarray = field(default_factory=empty(np.int64))
    kind: np.ndarray = field(default_factory=empty(np.int64))
    use_case: np.ndarray = field(default_factory=empty(np.int64))
    value: np.ndarray = field(default_factory=empty(np.float64))
    depth: np.ndarray = field(default_factory=empty(np.float64))
    platform: np.ndarray = field(default_factory=empty(np.int64))
    aligned: np.ndarray = field(default_factory=empty(bool))
    bought: np.ndarray = field(default_factory=empty(bool))
    duplicate_of: np.ndarray = field(default_factory=empty(np.int64))
    stage: np.ndarray = field(default_factory=empty(np.int64))
    status: np.ndarray = field(default_factory=empty(np.int64))
    week_proposed: np.ndarray = field(default_factory=empty(np.int64))
    week_in_stage: np.ndarray = field(default_factory=empty(np.int64))
    week_poc: np.ndarray = field(default_factory=empty(np.int64))
    week_stalled: np.ndarray = field(default_factory=empty(np.int64))
    week_ended: np.ndarray = field(default_factory=empty(np.int64))

    def __len__(self) -> int:
        return len(self.firm)

    def append(self, **columns: np.ndarray) -> None:
        """Add rows; every column must be given."""
        for column in fields(self):
            setattr(self, column.name, np.concatenate([getattr(self, column.name), columns[column.name]]))

    @property
    def live(self) -> np.ndarray:
        """Pilots neither abandoned nor merged into another."""
        return self.status < ABANDONED

    def case_key(self, n_use_cases: int) -> np.ndarray:
        """One integer per (firm, kind, use case): pilots with equal keys build the same thing."""
        return (self.firm * 2 + self.kind) * n_use_cases + self.use_case


@dataclass
class FunnelEvents:
    """Counts of this week's pilot events per firm, used by the signals and the records."""

    production_front: np.ndarray
    production_back: np.ndarray
    scaled_front: np.ndarray
    scaled_back: np.ndarray
    abandoned: np.ndarray

    @classmethod
    def none(cls, n_firms: int) -> FunnelEvents:
        """A week without events."""
        return cls(*(np.zeros(n_firms) for _ in fields(cls)))


def propose(
    table: PilotTable, w: Workforce, org: Organisation, p: Params, week: int, rng: np.random.Generator
) -> np.ndarray:
    """New ideas arrive from teams in proportion to their enthusiasm (attitude, deepened by engagement, not by
    mere usage), a firm's proposals growing with its head count to the power `proposal_elasticity`; a simulated
    team standing for several of its firm's teams proposes for all of them. Governance merges a share of
    duplicates before they start; returns the number merged per firm."""
    pp = p.pilots
    enthusiasm = team_mean(w.attitude * (0.5 + w.engagement), org)
    per_team = pp.intake * enthusiasm * org.team_represents * size_elasticity(org, pp)[org.team_firm]
    teams = np.repeat(np.arange(org.n_teams), rng.poisson(per_team))
    if len(teams) == 0:
        return np.zeros(org.n_firms)
    firm = org.team_firm[teams]
    alignment = org.firm_direction[firm]
    kind = choose_kind(org.team_back_office[teams], alignment, pp, org.firm_back_office_push[firm], rng)
    use_case = np.floor(rng.random(len(teams)) * org.firm_use_cases[firm]).astype(np.int64)
    stride = org.use_case_stride
    key = (firm * 2 + kind) * stride + use_case
    original, first_in_batch = original_pilots(table, stride, key)
    duplicate = original != NO_DUPLICATE
    merged = duplicate & (rng.random(len(teams)) < pp.duplicate_detection * org.firm_governance[firm])
    keep = ~merged
    in_batch = original >= len(table)
    original[in_batch] = (len(table) + np.cumsum(keep) - 1)[first_in_batch[in_batch]]
    n = int(keep.sum())
    value_scale = np.where(kind == BACK, pp.back_value, pp.front_value)
    depth_mean = np.where(kind == BACK, pp.back_depth, pp.front_depth)
    table.append(
        firm=firm[keep],
        team=teams[keep],
        kind=kind[keep],
        use_case=use_case[keep],
        value=(value_scale * rng.lognormal(0, pp.value_spread, len(teams)))[keep],
        depth=np.clip(depth_mean + pp.depth_spread * rng.standard_normal(len(teams)), 0, 1)[keep],
        platform=org.team_platform[teams][keep],
        aligned=(rng.random(len(teams)) < alignment)[keep],
        bought=(rng.random(len(teams)) < bought_share(org.firm_employees[firm], pp))[keep],
        duplicate_of=original[keep],
        stage=np.full(n, IDEA),
        status=np.full(n, ACTIVE),
        week_proposed=np.full(n, week),
        week_in_stage=np.full(n, week),
        week_poc=np.full(n, -1),
        week_stalled=np.full(n, -1),
        week_ended=np.full(n, -1),
    )
    return np.bincount(firm[merged], minlength=org.n_firms).astype(np.float64)


def start_portfolio(
    table: PilotTable, firms: list[Firm], org: Organisation, p: Params, rng: np.random.Generator
) -> None:
    """The pilots firms already have at week 0 (`firm.pilots`): each in its team, kind, platform and stage,
    proposed `age` weeks before week 0 (its time in the stage is not known: taken as its whole age). What a
    file does not say is drawn as for a new proposal (`propose`): the use case, value, depth, whether it is
    aligned with strategy and whether it was bought; a pilot of a use case an earlier one already builds
    is its duplicate. Milestones already reached leave their lessons (as `update_signals` counts them: one
    for production, one more for scale); the visibility and automation signals start at 0. Draws nothing
    when no firm has pilots."""
    rows = [(f, pilot) for f, firm in enumerate(firms) for pilot in firm.pilots]
    if not rows:
        return
    pp = p.pilots
    team_offset = np.concatenate([[0], np.cumsum([len(team_sizes(firm)) for firm in firms])[:-1]])
    team_index = [{team.name: i for i, team in enumerate(firm.teams or [])} for firm in firms]
    firm = np.array([f for f, _ in rows], dtype=np.int64)
    team = np.array([team_offset[f] + team_index[f][pilot.team] for f, pilot in rows], dtype=np.int64)
    kind = np.array([KINDS.index(pilot.kind) for _, pilot in rows], dtype=np.int64)
    stage = np.array([STAGES.index(pilot.stage) for _, pilot in rows], dtype=np.int64)
    age = np.array([pilot.age for _, pilot in rows], dtype=np.int64)
    n = len(rows)
    use_case = np.floor(rng.random(n) * org.firm_use_cases[firm]).astype(np.int64)
    value_scale = np.where(kind == BACK, pp.back_value, pp.front_value)
    depth_mean = np.where(kind == BACK, pp.back_depth, pp.front_depth)
    value = value_scale * rng.lognormal(0, pp.value_spread, n)
    depth = np.clip(depth_mean + pp.depth_spread * rng.standard_normal(n), 0, 1)
    aligned = rng.random(n) < org.firm_alignment[firm]
    bought = rng.random(n) < bought_share(org.firm_employees[firm], pp)
    keys = (firm * 2 + kind) * org.use_case_stride + use_case
    original, first_in_batch = original_pilots(table, org.use_case_stride, keys)
    in_batch = original >= len(table)
    original[in_batch] = first_in_batch[in_batch]
    table.append(
        firm=firm,
        team=team,
        kind=kind,
        use_case=use_case,
        value=value,
        depth=depth,
        platform=np.array([pilot.platform for _, pilot in rows], dtype=np.int64),
        aligned=aligned,
        bought=bought,
        duplicate_of=original,
        stage=stage,
        status=np.full(n, ACTIVE),
        week_proposed=-age,
        week_in_stage=-age,
        week_poc=np.full(n, -1),
        week_stalled=np.full(n, -1),
        week_ended=np.where(stage == SCALED, 0, -1),
    )
    lessons = (stage >= PRODUCTION).astype(np.float64) + (stage == SCALED)
    org.firm_knowledge += np.bincount(firm, weights=lessons, minlength=org.n_firms)


def size_elasticity(org: Organisation, pp: Pilots) -> np.ndarray:
    """Per firm, each team's proposals relative to a team of a 1,000-employee firm: (head count / 1,000) to the
    power `proposal_elasticity` - 1, so a firm's proposals grow as head count to `proposal_elasticity`.
    Innovative output rises less than in proportion to firm size (Cohen and Klepper 1996): teams doing the
    same work find the same opportunities, and a larger firm's ideas compete for one portfolio's attention."""
    return (org.firm_employees / 1000) ** (pp.proposal_elasticity - 1)


def bought_share(employees: np.ndarray, pp: Pilots) -> np.ndarray:
    """Buy or build: the chance a use case is met by a tool bought off the shelf rather than built in house,
    from `bought_small` at 100 employees or fewer to `bought_large` at 100,000 or more, linear in log head count.
    Small firms rarely have the data scientists and engineers to build (OECD 2026); bought tools move faster
    (`bought_advantage`, MIT NANDA 2025)."""
    position = np.clip(np.log10(np.maximum(employees, 1) / 100) / 3, 0, 1)
    return pp.bought_small + (pp.bought_large - pp.bought_small) * position


def choose_kind(
    back_office_team: np.ndarray, alignment: np.ndarray, pp: Pilots, push: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Shiny objects: without strategic direction even back-office teams pick visible front-office quick wins;
    direction (and a portfolio push toward back-office value) shifts the choice."""
    base = np.where(back_office_team, pp.back_office_own, pp.back_office_front)
    p_back = base + np.minimum(1, pp.back_office_bias * alignment + push) * (1 - base)
    return (rng.random(len(base)) < p_back).astype(np.int64)


def original_pilots(table: PilotTable, stride: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each new proposal, the pilot it duplicates: the earliest live pilot of its use case, else an
    earlier proposal of the same use case this week (which is never merged, being no duplicate itself),
    else NO_DUPLICATE. Links within the week point past the table and are fixed to row numbers once merges are
    known; also returns each proposal's first same-use-case proposal this week."""
    original = earliest_live_pilot(table, stride, keys)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first_in_batch = first[inverse]
    repeated = (original == NO_DUPLICATE) & (first_in_batch < np.arange(len(keys)))
    original[repeated] = len(table) + first_in_batch[repeated]
    return original, first_in_batch


def earliest_live_pilot(table: PilotTable, n_use_cases: int, keys: np.ndarray) -> np.ndarray:
    """For each key, the id of the earliest live pilot building that use case, or NO_DUPLICATE."""
    live = np.flatnonzero(table.live)
    if len(live) == 0:
        return np.full(len(keys), NO_DUPLICATE)
    live_keys = table.case_key(n_use_cases)[live]
    order = np.argsort(live_keys, kind="stable")
    sorted_keys = live_keys[order]
    pos = np.searchsorted(sorted_keys, keys)
    found = (pos < len(sorted_keys)) & (sorted_keys[np.minimum(pos, len(sorted_keys) - 1)] == keys)
    return np.where(found, live[order][np.minimum(pos, len(order) - 1)], NO_DUPLICATE)


def readiness(table: PilotTable, idx: np.ndarray, w: Workforce, org: Organisation, p: Params) -> np.ndarray:
    """How ready the owning team and firm are to move a pilot on, in [0, 1]: the team's engagement
    (not usage), infrastructure against the use case's depth (from the pilot stage on; to scale from
    production, deeper by `scale_integration` per tenfold number of teams to reach, as a tool used everywhere
    must work with every system and process of the firm), strategic sponsorship, and the firm's size (larger
    firms move slower: more layers between a pilot and whoever can fund its next step)."""
    pp = p.pilots
    firm = table.firm[idx]
    team_engagement = team_mean(w.engagement, org)[table.team[idx]]
    engagement = pp.base_readiness + (1 - pp.base_readiness) * np.minimum(1, team_engagement / pp.engagement_need)
    stage = table.stage[idx]
    to_scale = np.where(stage == PRODUCTION, pp.scale_integration * np.log10(org.firm_teams[firm]), 0.0)
    depth = table.depth[idx] + to_scale
    fit = 1 / (1 + np.exp(-pp.fit_sharpness * (org.firm_infrastructure[firm] - depth)))
    fit = np.where(stage >= PILOT, fit, 1.0)
    sponsor = np.where(table.aligned[idx], 1.0, 1 - pp.sponsorship)
    size = 1 / (1 + pp.size_drag * np.log10(np.maximum(org.firm_employees[firm], 100) / 100))
    return engagement * fit * sponsor * size


def learning(org: Organisation, w: Workforce, p: Params) -> np.ndarray:
    """Per firm, how much earlier pilots' lessons speed later ones, scaled by absorptive capacity (mean skill)."""
    pp = p.pilots
    known = org.firm_knowledge / (org.firm_knowledge + pp.knowledge_half)
    return 1 + pp.learning_gain * known * (0.5 + firm_mean(w.skill, org))


def scaling_conditions(table: PilotTable, idx: np.ndarray, w: Workforce, org: Organisation, p: Params) -> np.ndarray:
    """What scaling across teams also needs: engaged receiving teams, a shared interoperable platform,
    and no rival builds of the same use case on other platforms."""
    pp = p.pilots
    firm = table.firm[idx]
    receivers = np.minimum(1, firm_mean(w.engagement, org)[firm] / pp.engagement_need)
    interop = np.where(table.platform[idx] == SHARED_PLATFORM, 1.0, 1 - pp.interop_penalty)
    return receivers * interop / (1 + rival_builds(table, idx, org.use_case_stride))


def rival_builds(table: PilotTable, idx: np.ndarray, n_use_cases: int) -> np.ndarray:
    """Number of other live pilots (past the POC) of the same use case on a different platform."""
    advanced = table.live & (table.stage >= PILOT)
    keys = table.case_key(n_use_cases)
    n_keys = int(keys.max()) + 1
    platform_key = keys * (int(table.platform.max()) + 1) + table.platform
    per_case = np.bincount(keys[advanced], minlength=n_keys)
    per_case_platform = np.bincount(platform_key[advanced], minlength=int(platform_key.max()) + 1)
    return per_case[keys[idx]] - per_case_platform[platform_key[idx]]


def advance(
    table: PilotTable, w: Workforce, org: Organisation, p: Params, week: int, rng: np.random.Generator
) -> FunnelEvents:
    """One week of the funnel: active pilots advance or stall (competing hazards), stalled ones resume
    or age into abandonment. Returns this week's events per firm."""
    pp = p.pilots
    unfinished = np.flatnonzero(table.live & (table.stage < SCALED))
    if len(unfinished) == 0:
        return FunnelEvents.none(org.n_firms)
    ready = readiness(table, unfinished, w, org, p)
    active = table.status[unfinished] == ACTIVE
    moving, stalled = unfinished[active], unfinished[~active]
    stage = table.stage[moving]
    hazard = np.asarray(pp.advance)[stage] * ready[active] * learning(org, w, p)[table.firm[moving]]
    hazard[table.bought[moving] & (stage >= POC)] *= pp.bought_advantage
    at_production = stage == PRODUCTION
    hazard[at_production] *= scaling_conditions(table, moving[at_production], w, org, p)
    stall_hazard = np.where(at_production, 0.0, pp.stall * (1 - ready[active]))
    draw = rng.random(len(moving))
    p_advance = -np.expm1(-hazard)
    advanced = moving[draw < p_advance]
    newly_stalled = moving[(draw >= p_advance) & (draw < p_advance - np.expm1(-stall_hazard))]
    resumes = rng.random(len(stalled)) < -np.expm1(-pp.resume * ready[~active])
    overdue = week - table.week_stalled[stalled] >= pp.abandon_after
    abandoned = stalled[~resumes & overdue]

    table.stage[advanced] += 1
    table.week_in_stage[advanced] = week
    table.week_poc[advanced[table.stage[advanced] == POC]] = week
    table.status[newly_stalled] = STALLED
    table.week_stalled[newly_stalled] = week
    table.status[stalled[resumes]] = ACTIVE
    table.status[abandoned] = ABANDONED
    table.week_ended[abandoned] = week
    table.week_ended[advanced[table.stage[advanced] == SCALED]] = week
    blame_abandoning_teams(table, abandoned, org, p)
    return count_events(table, advanced, abandoned, org.n_firms)


def count_events(table: PilotTable, advanced: np.ndarray, abandoned: np.ndarray, n_firms: int) -> FunnelEvents:
    """Per firm: pilots that reached production or scale (front and back office) and pilots abandoned."""
    reached = table.stage[advanced]
    milestone = advanced[reached >= PRODUCTION]
    slot = (table.stage[milestone] - PRODUCTION) * 2 + table.kind[milestone]
    codes = np.concatenate([table.firm[milestone] * 5 + slot, table.firm[abandoned] * 5 + 4])
    counts = np.bincount(codes, minlength=n_firms * 5).reshape(n_firms, 5).T.astype(np.float64)
    return FunnelEvents(
        production_front=counts[0],
        production_back=counts[1],
        scaled_front=counts[2],
        scaled_back=counts[3],
        abandoned=counts[4],
    )


def blame_abandoning_teams(table: PilotTable, abandoned: np.ndarray, org: Organisation, p: Params) -> None:
    """In a blame culture an abandoned pilot costs its team psychological safety."""
    firm = table.firm[abandoned]
    loss = p.teams.blame * (1 - org.firm_culture[firm])
    np.subtract.at(org.team_safety, table.team[abandoned], loss)
    np.clip(org.team_safety, 0, 1, out=org.team_safety)


def update_signals(events: FunnelEvents, org: Organisation, p: Params) -> None:
    """Firm-wide signals: visible wins lift attitudes, scaled back-office automation raises anxiety,
    and every ended pilot leaves lessons (failures only where culture lets them be learned)."""
    a = p.attitude
    org.firm_visibility *= a.signal_decay
    org.firm_visibility += a.win_lift * (events.production_front + events.scaled_front)
    org.firm_automation *= a.signal_decay
    org.firm_automation += events.scaled_back
    org.firm_knowledge += events.production_front + events.production_back + events.scaled_front + events.scaled_back
    org.firm_knowledge += p.pilots.failure_lessons * org.firm_culture * events.abandoned


def accrue_value(table: PilotTable, org: Organisation, p: Params) -> None:
    """A week of value: scaled pilots deliver their yearly value across the firm, pilots in production a
    fraction of it in one team. Front-office value is revenue, back-office value is cost saved."""
    share_by_stage = np.array([0.0, 0.0, 0.0, p.pilots.production_share, 1.0])
    weekly = share_by_stage[table.stage] * table.value * table.live / 52
    by_kind = np.bincount(table.firm * 2 + table.kind, weights=weekly, minlength=org.n_firms * 2).reshape(-1, 2)
    org.firm_revenue += by_kind[:, FRONT]
    org.firm_savings += by_kind[:, BACK]
