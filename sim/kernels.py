"""The weekly rules compiled: the employee rules fused into one pass over the employees, the funnel into three
kernels (proposals, the hazards, the moves with signals and value), the weekly record into one.

`sim/rules.py`, `sim/pilots.py` and `sim/metrics.weekly_record` are the specification, one small vectorised
function per rule; this module runs the same rules, in the same order and with the same random draws, as a
few Numba kernels (`njit(cache=True)`), so that a week costs a handful of calls instead of hundreds of small
NumPy ones. `tests/test_kernels.py` proves the two equal on random states, rule by rule and over whole runs.

Random numbers are never drawn here: each stream's NumPy `Generator` draws them in Python, in bulk and in
the order the specification draws them, and hands them to a kernel (`Compiled.employees`: one uniform per
employee; `Compiled.propose`: the teams' Poisson counts, then per proposal kind, use case, merge check,
value, depth, sponsorship and buy-or-build, column by column; `Compiled.advance`: per unfinished pilot one
uniform, active ones first). Common random numbers, `--workers` independence and benchmarks/same_draws.py
therefore hold as before.

The kernels compute every expression in the specification's order of operations, so results agree with the
NumPy rules to the last bit or two: NumPy's own exp, expm1 and log10 (SIMD) and its pairwise sums differ
from the C library's and from a running sum in the last bit (see tests/test_kernels.py for the tolerance).
Two shortcuts change no result: a uniform at or above a hazard h cannot fall below 1 - exp(-h) <= h, so
expm1 is evaluated only for draws below h; and the pilot table's columns are views of arrays with room to
grow (`Compiled.table_with_room`), so that a week's proposals are written in place instead of every column
being copied.

Compiled code is cached beside this file (`__pycache__`); where that is not writable, set NUMBA_CACHE_DIR.
Compiling takes a few seconds once per install (or change of this file), loading from the cache about 0.3 s
per process; worker pools preload sim/warm_kernels.py so that their workers start with the kernels loaded.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import NamedTuple

import numpy as np
from numba import njit

from sim.metrics import EMPLOYEE_MEANS, PILOT_COUNTS
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
    STAGES,
    STALLED,
    PilotTable,
    bought_share,
    size_elasticity,
)
from sim.schema import Params
from sim.state import SHARED_PLATFORM, Organisation, Workforce


class EmployeeParams(NamedTuple):
    """The parameters the employee rules read (sim/rules.py), as one tuple a kernel takes."""

    user_threshold: float
    team_weight: float
    champions_influence: float
    anxiety_baseline: float
    threat_weight: float
    peer_weight: float
    automation_weight: float
    exposure: float
    skill_relief: float
    safety_relief: float
    anxiety_rate: float
    experience: float
    frustration: float
    attitude_rate: float
    w_usefulness: float
    w_ease: float
    w_conditions: float
    bass_p: float
    bass_q: float
    lapse: float
    committed_floor: float
    fear_of_missing_out: float
    compliance: float
    usage_rate: float
    champions_support: float
    growth: float
    decay: float
    learning: float
    forgetting: float
    manager_modelling: float
    manager_reference: float
    recovery: float

    @classmethod
    def of(cls, p: Params) -> EmployeeParams:
        """Read from the scenario's parameters."""
        a, x, u, e = p.adoption, p.anxiety, p.usage, p.engagement
        return cls(
            u.user_threshold,
            a.team_weight,
            p.effects.champions_influence,
            x.baseline,
            x.threat_weight,
            x.peer_weight,
            x.automation_weight,
            x.exposure,
            x.skill_relief,
            x.safety_relief,
            x.rate,
            p.attitude.experience,
            p.attitude.frustration,
            p.attitude.rate,
            a.w_usefulness,
            a.w_ease,
            a.w_conditions,
            a.p,
            a.q,
            a.lapse,
            u.committed_floor,
            u.fear_of_missing_out,
            u.compliance,
            u.rate,
            p.effects.champions_support,
            e.growth,
            e.decay,
            p.skill.learning,
            p.skill.forgetting,
            p.teams.manager_modelling,
            p.teams.manager_reference,
            p.teams.recovery,
        )


class FunnelParams(NamedTuple):
    """The parameters the pilot rules read (sim/pilots.py), as one tuple a kernel takes."""

    back_office_own: float
    back_office_front: float
    back_office_bias: float
    duplicate_detection: float
    back_value: float
    front_value: float
    back_depth: float
    front_depth: float
    depth_spread: float
    base_readiness: float
    engagement_need: float
    fit_sharpness: float
    sponsorship: float
    knowledge_half: float
    learning_gain: float
    interop_penalty: float
    bought_advantage: float
    stall: float
    resume: float
    abandon_after: float
    blame: float
    win_lift: float
    signal_decay: float
    failure_lessons: float
    production_share: float

    @classmethod
    def of(cls, p: Params) -> FunnelParams:
        """Read from the scenario's parameters."""
        pp = p.pilots
        return cls(
            pp.back_office_own,
            pp.back_office_front,
            pp.back_office_bias,
            pp.duplicate_detection,
            pp.back_value,
            pp.front_value,
            pp.back_depth,
            pp.front_depth,
            pp.depth_spread,
            pp.base_readiness,
            pp.engagement_need,
            pp.fit_sharpness,
            pp.sponsorship,
            pp.knowledge_half,
            pp.learning_gain,
            pp.interop_penalty,
            pp.bought_advantage,
            pp.stall,
            pp.resume,
            float(pp.abandon_after),
            p.teams.blame,
            p.attitude.win_lift,
            p.attitude.signal_decay,
            pp.failure_lessons,
            pp.production_share,
        )


def packed(values: NamedTuple) -> np.ndarray:
    """A NamedTuple of floats as a one-element structured array: a kernel reads `params[0].name`, and calling
    it costs a fraction of what passing the tuple (typed field by field on every call) would."""
    return np.array([tuple(values)], dtype=[(name, np.float64) for name in values._fields])


@njit(cache=True, inline="always")
def clip01(x: float) -> float:
    """np.clip(x, 0, 1) of one value."""
    return min(max(x, 0.0), 1.0)


@njit(cache=True, error_model="numpy")
def employee_week(
    params,
    draws,
    team_start,
    team_members,
    ties,
    threshold,
    prior,
    attitude,
    anxiety,
    skill,
    usage,
    engagement,
    adopted,
    team_threat,
    team_mandate,
    team_champions,
    team_safety,
    team_base_safety,
    team_firm,
    firm_automation,
    firm_visibility,
    firm_infrastructure,
    enthusiasm,
):
    """One week of every employee rule of sim/rules.py, in the order of sim.model.AdoptionModel.step: peers ->
    anxiety -> attitude -> intention -> adoption -> usage -> engagement -> skill -> team safety. Updates the
    workforce arrays and team safety in place and writes each team's mean enthusiasm (attitude deepened by
    engagement, which sim.pilots.propose reads) into `enthusiasm`. `draws` holds one uniform per employee."""
    q = params[0]
    n = len(adopted)
    n_teams = len(team_start)
    k = ties.shape[1]
    # Peers see the start-of-week state: teammates' adoption, anxiety and usage, and their ties' adoption.
    tie_share = np.empty(n)
    team_adopters = np.zeros(n_teams)
    team_anxiety_sum = np.zeros(n_teams)
    team_users = np.zeros(n_teams)
    for t in range(n_teams):
        end = team_start[t + 1] if t + 1 < n_teams else n
        adopters, anxiety_sum, users = 0.0, 0.0, 0.0
        for i in range(team_start[t], end):
            adopters += 1.0 if adopted[i] else 0.0
            anxiety_sum += anxiety[i]
            users += 1.0 if usage[i] >= q.user_threshold else 0.0
        team_adopters[t], team_anxiety_sum[t], team_users[t] = adopters, anxiety_sum, users
    for i in range(n):
        if k:
            seen = 0.0
            for j in range(k):
                seen += 1.0 if adopted[ties[i, j]] else 0.0
            tie_share[i] = seen / k
    for t in range(n_teams):
        end = team_start[t + 1] if t + 1 < n_teams else n
        members = team_members[t]
        others = members - 1
        team_anxiety = team_anxiety_sum[t] / members
        team_user_share = team_users[t] / members
        threat = team_threat[t]
        safety = team_safety[t]
        champions = q.champions_influence * team_champions[t]
        f = team_firm[t]
        automation = firm_automation[f] / (1 + firm_automation[f])
        infrastructure = firm_infrastructure[f]
        visibility = firm_visibility[f]
        mandate = team_mandate[t]
        support = min(1.0, safety + q.champions_support * team_champions[t])
        enthusiasm_sum = 0.0
        for i in range(team_start[t], end):
            # each employee's state read once into locals and written back once
            was_adopted, usage_i, engagement_i, skill_i = adopted[i], usage[i], engagement[i], skill[i]
            # observe_peers
            own = 1.0 if was_adopted else 0.0
            team_share = (team_adopters[t] - own) / others if others > 0 else 0.0
            ties_seen = tie_share[i] if k else team_share
            seen = q.team_weight * team_share + (1 - q.team_weight) * ties_seen
            adopted_share = seen + champions * (1 - seen)
            # update_anxiety
            target = (
                q.anxiety_baseline
                + q.threat_weight * threat
                + q.peer_weight * team_anxiety
                + q.automation_weight * threat * automation
                + q.exposure * usage_i * (1 - engagement_i)
                - q.skill_relief * skill_i
                - q.safety_relief * safety
            )
            anxiety_i = anxiety[i]
            anxiety_i += q.anxiety_rate * (clip01(target) - anxiety_i)
            # update_attitude
            pressed_use = 0.0 if was_adopted else usage_i
            target = prior[i] + q.experience * engagement_i - q.frustration * pressed_use + visibility
            attitude_i = attitude[i]
            attitude_i += q.attitude_rate * (clip01(target) - attitude_i)
            # intention
            ease = 0.5 * (skill_i + 1 - anxiety_i)
            z = q.w_usefulness * (attitude_i - 0.5) + q.w_ease * (ease - 0.5) + q.w_conditions * (infrastructure - 0.5)
            intent = 1 / (1 + math.exp(-z))
            # adopt (1 - exp(-h) <= h: a draw at or above the hazard h cannot pass, so expm1 runs only where it may)
            draw = draws[i]
            if was_adopted:
                lapse = q.lapse * (1 - intent)
                now_adopted = not (draw < lapse and draw < -math.expm1(-lapse))
            else:
                imitation = adopted_share if adopted_share >= threshold[i] else 0.0
                hazard = 2 * intent * (q.bass_p + q.bass_q * imitation)
                now_adopted = draw < hazard and draw < -math.expm1(-hazard)
            # committed_use, compliance_use, update_usage
            committed = q.committed_floor + (1 - q.committed_floor) * intent if now_adopted else 0.0
            pressure = mandate + q.fear_of_missing_out * anxiety_i * team_user_share
            compliance = q.compliance * clip01(pressure)
            usage_i += q.usage_rate * (max(committed, compliance) - usage_i)
            # update_engagement
            own_use = min(committed, usage_i)
            conditions = support * (1 - anxiety_i) * (0.5 + 0.5 * infrastructure)
            growth = q.growth * own_use * conditions * (1 - engagement_i)
            decay = q.decay * engagement_i * (1 - own_use)
            engagement_i = clip01(engagement_i + growth - decay)
            # update_skill
            skill_i += q.learning * engagement_i * (1 - skill_i) - q.forgetting * skill_i
            anxiety[i], attitude[i], adopted[i] = anxiety_i, attitude_i, now_adopted
            usage[i], engagement[i], skill[i] = usage_i, engagement_i, skill_i
            enthusiasm_sum += attitude_i * (0.5 + engagement_i)
        enthusiasm[t] = enthusiasm_sum / members
        # update_team_safety: the manager (the team's first member) has stepped
        target = clip01(team_base_safety[t] + q.manager_modelling * (engagement[team_start[t]] - q.manager_reference))
        team_safety[t] += q.recovery * (target - team_safety[t])


@njit(cache=True, error_model="numpy")
def proposals(
    params,
    week,
    counts,
    u_kind,
    u_case,
    u_merge,
    lognormal,
    normal,
    u_aligned,
    u_bought,
    team_back_office,
    team_platform,
    team_firm,
    firm_direction,
    firm_back_office_push,
    firm_governance,
    firm_use_cases,
    firm_bought,
    stride,
    n_firms,
    n_table,
    table_firm,
    table_team,
    table_kind,
    table_use_case,
    table_value,
    table_depth,
    table_platform,
    table_aligned,
    table_bought,
    table_duplicate_of,
    table_stage,
    table_status,
    table_week_proposed,
    table_week_in_stage,
    table_week_poc,
    table_week_stalled,
    table_week_ended,
):
    """sim.pilots.propose after the draws: each proposal's kind, use case, value, depth, platform, sponsorship
    and buy-or-build, the pilot it duplicates, and governance's merges. The table's columns have room past its
    `n_table` rows; the kept proposals are written there. Returns how many were kept and the merges per firm."""
    r = params[0]
    n = len(u_kind)
    team = np.empty(n, np.int64)
    row = 0
    for t in range(len(counts)):
        for _ in range(counts[t]):
            team[row] = t
            row += 1
    # The earliest live pilot of each (firm, kind, use case), and the first proposal of each this week.
    earliest = np.full(n_firms * 2 * stride, NO_DUPLICATE)
    for i in range(n_table - 1, -1, -1):
        if table_status[i] < ABANDONED:
            earliest[(table_firm[i] * 2 + table_kind[i]) * stride + table_use_case[i]] = i
    first_in_batch = np.full(n_firms * 2 * stride, -1)
    firm = np.empty(n, np.int64)
    kind = np.empty(n, np.int64)
    use_case = np.empty(n, np.int64)
    original = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    keep = np.empty(n, np.bool_)
    merged = np.zeros(n_firms)
    for j in range(n):
        f = team_firm[team[j]]
        firm[j] = f
        base = r.back_office_own if team_back_office[team[j]] else r.back_office_front
        p_back = base + min(1.0, r.back_office_bias * firm_direction[f] + firm_back_office_push[f]) * (1 - base)
        kind[j] = 1 if u_kind[j] < p_back else 0
        use_case[j] = np.int64(np.floor(u_case[j] * firm_use_cases[f]))
        key = (f * 2 + kind[j]) * stride + use_case[j]
        if first_in_batch[key] < 0:
            first_in_batch[key] = j
        first[j] = first_in_batch[key]
        original[j] = earliest[key]
        if original[j] == NO_DUPLICATE and first[j] < j:
            original[j] = n_table + first[j]
        keep[j] = not (original[j] != NO_DUPLICATE and u_merge[j] < r.duplicate_detection * firm_governance[f])
        if not keep[j]:
            merged[f] += 1
    n_kept = 0
    new_row = np.empty(n, np.int64)
    for j in range(n):
        if keep[j]:
            n_kept += 1
        new_row[j] = n_table + n_kept - 1
    m = n_table
    for j in range(n):
        if not keep[j]:
            continue
        back = kind[j] == BACK
        table_firm[m] = firm[j]
        table_team[m] = team[j]
        table_kind[m] = kind[j]
        table_use_case[m] = use_case[j]
        table_value[m] = (r.back_value if back else r.front_value) * lognormal[j]
        table_depth[m] = clip01((r.back_depth if back else r.front_depth) + r.depth_spread * normal[j])
        table_platform[m] = team_platform[team[j]]
        table_aligned[m] = u_aligned[j] < firm_direction[firm[j]]
        table_bought[m] = u_bought[j] < firm_bought[firm[j]]
        table_duplicate_of[m] = new_row[first[j]] if original[j] >= n_table else original[j]
        table_stage[m] = IDEA
        table_status[m] = ACTIVE
        table_week_proposed[m] = week
        table_week_in_stage[m] = week
        table_week_poc[m] = -1
        table_week_stalled[m] = -1
        table_week_ended[m] = -1
        m += 1
    return n_kept, merged


@njit(cache=True, error_model="numpy")
def funnel_hazards(
    params,
    table_firm,
    table_team,
    table_kind,
    table_use_case,
    table_depth,
    table_platform,
    table_aligned,
    table_bought,
    table_stage,
    table_status,
    team_start,
    team_members,
    firm_start,
    firm_agents,
    skill,
    engagement,
    firm_infrastructure,
    firm_knowledge,
    firm_size,
    firm_scale_depth,
    advance_hazards,
    stride,
    ready,
    hazard,
    stall_hazard,
):
    """sim.pilots.advance up to its draws: every unfinished pilot's readiness (into `ready`) and every active one's
    hazards of advancing and stalling (into `hazard`, `stall_hazard`), from the owning team's and firm's
    state. Returns how many unfinished pilots are active and how many stalled: the uniforms to draw."""
    r = params[0]
    n_table = len(table_firm)
    n_teams = len(team_start)
    n_firms = len(firm_start)
    n = len(engagement)
    team_engagement = np.empty(n_teams)
    for t in range(n_teams):
        end = team_start[t + 1] if t + 1 < n_teams else n
        total = 0.0
        for i in range(team_start[t], end):
            total += engagement[i]
        team_engagement[t] = total / team_members[t]
    learning = np.empty(n_firms)
    receivers = np.empty(n_firms)
    for f in range(n_firms):
        end = firm_start[f + 1] if f + 1 < n_firms else n
        skill_sum = 0.0
        engagement_sum = 0.0
        for i in range(firm_start[f], end):
            skill_sum += skill[i]
            engagement_sum += engagement[i]
        known = firm_knowledge[f] / (firm_knowledge[f] + r.knowledge_half)
        learning[f] = 1 + r.learning_gain * known * (0.5 + skill_sum / firm_agents[f])
        receivers[f] = min(1.0, engagement_sum / firm_agents[f] / r.engagement_need)
    # Rival builds of the use cases of active pilots at production: live pilots past the POC on other platforms.
    n_platforms = 1
    scaling = False
    for i in range(n_table):
        n_platforms = max(n_platforms, table_platform[i] + 1)
        scaling |= table_stage[i] == PRODUCTION and table_status[i] == ACTIVE
    slot = np.full(n_firms * 2 * stride if scaling else 0, -1)
    n_slots = 0
    for i in range(n_table):
        if table_stage[i] == PRODUCTION and table_status[i] == ACTIVE:
            key = (table_firm[i] * 2 + table_kind[i]) * stride + table_use_case[i]
            if slot[key] < 0:
                slot[key] = n_slots
                n_slots += 1
    per_case = np.zeros(n_slots, np.int64)
    per_case_platform = np.zeros((n_slots, n_platforms), np.int64)
    if n_slots:
        for i in range(n_table):
            if table_status[i] < ABANDONED and table_stage[i] >= PILOT:
                s = slot[(table_firm[i] * 2 + table_kind[i]) * stride + table_use_case[i]]
                if s >= 0:
                    per_case[s] += 1
                    per_case_platform[s, table_platform[i]] += 1
    n_active = 0
    n_stalled = 0
    for i in range(n_table):
        stage = table_stage[i]
        if table_status[i] >= ABANDONED or stage >= SCALED:
            continue
        f = table_firm[i]
        # readiness
        engagement_term = r.base_readiness + (1 - r.base_readiness) * min(
            1.0, team_engagement[table_team[i]] / r.engagement_need
        )
        if stage >= PILOT:
            depth = table_depth[i] + (firm_scale_depth[f] if stage == PRODUCTION else 0.0)
            fit = 1 / (1 + math.exp(-r.fit_sharpness * (firm_infrastructure[f] - depth)))
        else:
            fit = 1.0
        sponsor = 1.0 if table_aligned[i] else 1 - r.sponsorship
        ready[i] = engagement_term * fit * sponsor * firm_size[f]
        if table_status[i] != ACTIVE:
            n_stalled += 1
            continue
        n_active += 1
        h = advance_hazards[stage] * ready[i] * learning[f]
        if table_bought[i] and stage >= POC:
            h *= r.bought_advantage
        if stage == PRODUCTION:
            s = slot[(f * 2 + table_kind[i]) * stride + table_use_case[i]]
            rivals = per_case[s] - per_case_platform[s, table_platform[i]]
            interop = 1.0 if table_platform[i] == SHARED_PLATFORM else 1 - r.interop_penalty
            h *= receivers[f] * interop / (1 + rivals)
            stall_hazard[i] = 0.0
        else:
            stall_hazard[i] = r.stall * (1 - ready[i])
        hazard[i] = h
    return n_active, n_stalled


@njit(cache=True, error_model="numpy")
def funnel_moves(
    params,
    week,
    u_active,
    u_stalled,
    ready,
    hazard,
    stall_hazard,
    table_firm,
    table_team,
    table_kind,
    table_value,
    table_stage,
    table_status,
    table_week_in_stage,
    table_week_poc,
    table_week_stalled,
    table_week_ended,
    team_safety,
    firm_culture,
    firm_visibility,
    firm_automation,
    firm_knowledge,
    firm_revenue,
    firm_savings,
):
    """The rest of sim.pilots.advance, then update_signals and accrue_value: active pilots advance or stall on
    their uniforms (`u_active`, in table order), stalled ones resume or are abandoned (`u_stalled`); abandoning
    teams are blamed; the week's milestones move the firm's signals and lessons; live pilots in production or
    scaled deliver a week of value."""
    r = params[0]
    n_table = len(table_firm)
    n_firms = len(firm_culture)
    # per firm: production front, production back, scaled front, scaled back, abandoned
    events = np.zeros((5, n_firms))
    abandoned_rows = np.empty(len(u_stalled), np.int64)
    n_abandoned = 0
    a = 0
    s = 0
    for i in range(n_table):
        stage = table_stage[i]
        if table_status[i] >= ABANDONED or stage >= SCALED:
            continue
        if table_status[i] == ACTIVE:
            draw = u_active[a]
            a += 1
            p_advance = -math.expm1(-hazard[i])
            if draw < p_advance:
                stage += 1
                table_stage[i] = stage
                table_week_in_stage[i] = week
                if stage == POC:
                    table_week_poc[i] = week
                if stage == SCALED:
                    table_week_ended[i] = week
                if stage >= PRODUCTION:
                    events[(stage - PRODUCTION) * 2 + table_kind[i], table_firm[i]] += 1
            elif draw < p_advance - math.expm1(-stall_hazard[i]):
                table_status[i] = STALLED
                table_week_stalled[i] = week
        else:
            draw = u_stalled[s]
            s += 1
            if draw < -math.expm1(-(r.resume * ready[i])):
                table_status[i] = ACTIVE
            elif week - table_week_stalled[i] >= r.abandon_after:
                table_status[i] = ABANDONED
                table_week_ended[i] = week
                abandoned_rows[n_abandoned] = i
                n_abandoned += 1
    # blame_abandoning_teams
    for j in range(n_abandoned):
        i = abandoned_rows[j]
        events[4, table_firm[i]] += 1
        team_safety[table_team[i]] -= r.blame * (1 - firm_culture[table_firm[i]])
    for t in range(len(team_safety)):
        team_safety[t] = clip01(team_safety[t])
    # update_signals
    for f in range(n_firms):
        firm_visibility[f] *= r.signal_decay
        firm_visibility[f] += r.win_lift * (events[0, f] + events[2, f])
        firm_automation[f] *= r.signal_decay
        firm_automation[f] += events[3, f]
        firm_knowledge[f] += events[0, f] + events[1, f] + events[2, f] + events[3, f]
        firm_knowledge[f] += r.failure_lessons * firm_culture[f] * events[4, f]
    # accrue_value
    value = np.zeros((n_firms, 2))
    for i in range(n_table):
        live = table_status[i] < ABANDONED
        stage = table_stage[i]
        share = 1.0 if stage == SCALED else r.production_share if stage == PRODUCTION else 0.0
        value[table_firm[i], table_kind[i]] += share * table_value[i] * (1.0 if live else 0.0) / 52
    for f in range(n_firms):
        firm_revenue[f] += value[f, 0]
        firm_savings[f] += value[f, 1]


@njit(cache=True, error_model="numpy")
def record_figures(
    week,
    user_threshold,
    engaged_threshold,
    usage,
    engagement,
    adopted,
    anxiety,
    attitude,
    skill,
    firm_start,
    firm_agents,
    firm_employees,
    team_firm,
    team_safety,
    table_firm,
    table_stage,
    table_status,
    merged,
    firm_knowledge,
    firm_revenue,
    firm_savings,
    spent,
):
    """sim.metrics.weekly_record's figures per firm, as an integer array (rows: INTEGER_FIGURES) and a float
    array (rows: FLOAT_FIGURES)."""
    n_firms = len(firm_start)
    n = len(usage)
    integers = np.zeros((len(INTEGER_FIGURES), n_firms), np.int64)
    floats = np.zeros((len(FLOAT_FIGURES), n_firms))
    for f in range(n_firms):
        integers[0, f] = week
        integers[1, f] = f
        integers[2, f] = np.int64(firm_employees[f])
        end = firm_start[f + 1] if f + 1 < n_firms else n
        users = engaged = adopters = usage_sum = engagement_sum = anxiety_sum = attitude_sum = skill_sum = 0.0
        for i in range(firm_start[f], end):
            users += 1.0 if usage[i] >= user_threshold else 0.0
            engaged += 1.0 if engagement[i] >= engaged_threshold else 0.0
            adopters += 1.0 if adopted[i] else 0.0
            usage_sum += usage[i]
            engagement_sum += engagement[i]
            anxiety_sum += anxiety[i]
            attitude_sum += attitude[i]
            skill_sum += skill[i]
        sums = (users, engaged, adopters, usage_sum, engagement_sum, anxiety_sum, attitude_sum, skill_sum)
        for j in range(8):
            floats[j, f] = sums[j] / firm_agents[f]
        floats[9, f] = merged[f]
        floats[10, f] = firm_knowledge[f]
        floats[11, f] = firm_revenue[f]
        floats[12, f] = firm_savings[f]
        floats[13, f] = spent[f]
    teams = np.zeros(n_firms, np.int64)
    for t in range(len(team_firm)):
        floats[8, team_firm[t]] += team_safety[t]
        teams[team_firm[t]] += 1
    for f in range(n_firms):
        floats[8, f] /= teams[f]
    # live pilots in each stage idea..scaled, then stalled, abandoned and merged
    for i in range(len(table_firm)):
        f = table_firm[i]
        status = table_status[i]
        if status < ABANDONED:
            integers[3 + table_stage[i], f] += 1
            if status == STALLED:
                integers[8, f] += 1
        elif status == ABANDONED:
            integers[9, f] += 1
        elif status == MERGED:
            integers[10, f] += 1
    return integers, floats


INTEGER_FIGURES = ("week", "firm", "employees", *STAGES, "stalled", "abandoned", "merged")
FLOAT_FIGURES = (
    *EMPLOYEE_MEANS,
    "mean_team_safety",
    "duplicates_merged",
    "knowledge",
    "revenue",
    "savings",
    "intervention_cost",
)
RECORD_ORDER = tuple(
    ("week", "firm", "employees", *EMPLOYEE_MEANS, "mean_team_safety", *PILOT_COUNTS, *FLOAT_FIGURES[9:])
)
"""The figures of a week in sim.metrics.weekly_record's order (the time series' columns)."""
RECORD_ROWS = tuple(
    (name in INTEGER_FIGURES, (INTEGER_FIGURES if name in INTEGER_FIGURES else FLOAT_FIGURES).index(name))
    for name in RECORD_ORDER
)


TABLE_COLUMNS = tuple(column.name for column in fields(PilotTable))
"""The pilot table's columns, in the order `proposals` takes them."""


class Compiled:
    """The compiled week of one model: its parameters packed for the kernels, the per-firm constants the rules
    derive from head counts (which never change during a run), and scratch arrays reused week to week."""

    def __init__(self, org: Organisation, p: Params) -> None:
        self.p = p
        self.employee_params = packed(EmployeeParams.of(p))
        self.funnel_params = packed(FunnelParams.of(p))
        pp = p.pilots
        self.enthusiasm = np.zeros(org.n_teams)
        self.team_elasticity = size_elasticity(org, pp)[org.team_firm]
        self.firm_bought = bought_share(org.firm_employees, pp)
        self.firm_size = 1 / (1 + pp.size_drag * np.log10(np.maximum(org.firm_employees, 100) / 100))
        self.firm_scale_depth = pp.scale_integration * np.log10(org.firm_teams)
        self.advance_hazards = np.asarray(pp.advance, dtype=np.float64)
        self.ready = self.hazard = self.stall_hazard = np.zeros(0)
        self.columns: tuple[np.ndarray, ...] = ()
        self.views: tuple[np.ndarray, ...] = ()

    def table_with_room(self, table: PilotTable, new: int) -> tuple[np.ndarray, ...]:
        """The pilot table's columns with room for `new` more rows past its last. The table's columns are views of
        the first rows of these; they are copied into new ones (twice the size) only when full, or when a
        column is no longer the view set here (a table replaced or changed from outside)."""
        n = len(table)
        current = tuple(getattr(table, name) for name in TABLE_COLUMNS)
        shared = len(current) == len(self.views) and all(a is b for a, b in zip(current, self.views, strict=True))
        if not shared or n + new > len(self.columns[0]):
            size = max(2 * (n + new), 64)
            self.columns = tuple(np.empty(size, column.dtype) for column in current)
            for column, values in zip(self.columns, current, strict=True):
                column[:n] = values
        return self.columns

    def employees(self, w: Workforce, org: Organisation, rng: np.random.Generator) -> None:
        """The employee rules of one week (sim/rules.py), on one uniform per employee from `rng`."""
        employee_week(
            self.employee_params,
            rng.random(w.size),
            org.team_start,
            org.team_members,
            w.ties,
            w.threshold,
            w.prior,
            w.attitude,
            w.anxiety,
            w.skill,
            w.usage,
            w.engagement,
            w.adopted,
            org.team_threat,
            org.team_mandate,
            org.team_champions,
            org.team_safety,
            org.team_base_safety,
            org.team_firm,
            org.firm_automation,
            org.firm_visibility,
            org.firm_infrastructure,
            self.enthusiasm,
        )

    def propose(self, table: PilotTable, org: Organisation, week: int, rng: np.random.Generator) -> np.ndarray:
        """sim.pilots.propose on the enthusiasm the employee kernel left: draws in the specification's order,
        appends the kept proposals to the table, returns the merges per firm. Call after `employees`."""
        counts = rng.poisson(self.p.pilots.intake * self.enthusiasm * org.team_represents * self.team_elasticity)
        n = int(counts.sum())
        if n == 0:
            return np.zeros(org.n_firms)
        u_kind, u_case, u_merge = rng.random(n), rng.random(n), rng.random(n)
        lognormal = rng.lognormal(0, self.p.pilots.value_spread, n)
        normal = rng.standard_normal(n)
        u_aligned, u_bought = rng.random(n), rng.random(n)
        columns = self.table_with_room(table, n)
        kept, merged = proposals(
            self.funnel_params,
            week,
            counts,
            u_kind,
            u_case,
            u_merge,
            lognormal,
            normal,
            u_aligned,
            u_bought,
            org.team_back_office,
            org.team_platform,
            org.team_firm,
            org.firm_direction,
            org.firm_back_office_push,
            org.firm_governance,
            org.firm_use_cases,
            self.firm_bought,
            org.use_case_stride,
            org.n_firms,
            len(table),
            *columns,
        )
        rows = len(table) + kept
        self.views = tuple(column[:rows] for column in columns)
        for name, view in zip(TABLE_COLUMNS, self.views, strict=True):
            setattr(table, name, view)
        return merged

    def advance(self, table: PilotTable, w: Workforce, org: Organisation, week: int, rng: np.random.Generator) -> None:
        """sim.pilots.advance, update_signals and accrue_value of one week, on one uniform per unfinished pilot
        from `rng` (active pilots' first, then stalled ones', each in table order)."""
        n = len(table)
        if len(self.ready) < n:
            size = max(n, 2 * len(self.ready), 64)
            self.ready, self.hazard, self.stall_hazard = np.zeros(size), np.zeros(size), np.zeros(size)
        r = self.funnel_params
        n_active, n_stalled = funnel_hazards(
            r,
            table.firm,
            table.team,
            table.kind,
            table.use_case,
            table.depth,
            table.platform,
            table.aligned,
            table.bought,
            table.stage,
            table.status,
            org.team_start,
            org.team_members,
            org.firm_start,
            org.firm_agents,
            w.skill,
            w.engagement,
            org.firm_infrastructure,
            org.firm_knowledge,
            self.firm_size,
            self.firm_scale_depth,
            self.advance_hazards,
            org.use_case_stride,
            self.ready,
            self.hazard,
            self.stall_hazard,
        )
        u_active = rng.random(n_active) if n_active else np.zeros(0)
        u_stalled = rng.random(n_stalled) if n_stalled else np.zeros(0)
        funnel_moves(
            r,
            week,
            u_active,
            u_stalled,
            self.ready,
            self.hazard,
            self.stall_hazard,
            table.firm,
            table.team,
            table.kind,
            table.value,
            table.stage,
            table.status,
            table.week_in_stage,
            table.week_poc,
            table.week_stalled,
            table.week_ended,
            org.team_safety,
            org.firm_culture,
            org.firm_visibility,
            org.firm_automation,
            org.firm_knowledge,
            org.firm_revenue,
            org.firm_savings,
        )

    def record(
        self, week: int, w: Workforce, org: Organisation, table: PilotTable, merged: np.ndarray, spent: np.ndarray
    ) -> dict[str, np.ndarray]:
        """sim.metrics.weekly_record: one week's figures, one value per firm, same names, order and types."""
        p = self.p
        integers, floats = record_figures(
            week,
            p.usage.user_threshold,
            p.engagement.engaged_threshold,
            w.usage,
            w.engagement,
            w.adopted,
            w.anxiety,
            w.attitude,
            w.skill,
            org.firm_start,
            org.firm_agents,
            org.firm_employees,
            org.team_firm,
            org.team_safety,
            table.firm,
            table.stage,
            table.status,
            merged,
            org.firm_knowledge,
            org.firm_revenue,
            org.firm_savings,
            spent,
        )
        rows = zip(RECORD_ORDER, RECORD_ROWS, strict=True)
        return {name: (integers if whole else floats)[row] for name, (whole, row) in rows}


def load() -> None:
    """Load every kernel now (from Numba's cache, compiling it after an install or a change): a few weeks of a
    small firm, until it has pilots, so that each kernel has run on the types every model gives it."""
    from sim.model import AdoptionModel
    from sim.schema import Scenario

    scenario = Scenario.model_validate({"weeks": 50, "firm": {"employees": 24}, "params": {"pilots": {"intake": 1}}})
    model = AdoptionModel(scenario, rng=0, compiled=True)
    while len(model.pilots) == 0 and model.week < scenario.weeks:
        model.step()
    model.step()
