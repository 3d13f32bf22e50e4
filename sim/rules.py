"""The weekly employee rules, one concern each, vectorised over the workforce arrays.

Order within a week (see model.py): peers -> anxiety -> attitude -> intention -> adoption -> usage ->
engagement -> skill -> team safety. Each rule's source in theory is given in docs/ODD.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.schema import Params
from sim.state import Organisation, Workforce


@dataclass
class Peers:
    """What each employee sees around them this week."""

    adopted_share: np.ndarray
    team_anxiety: np.ndarray
    team_user_share: np.ndarray


def team_mean(values: np.ndarray, org: Organisation) -> np.ndarray:
    """Mean of per-employee quantities (the last axis) within each team (employees are contiguous by team)."""
    return np.add.reduceat(values, org.team_start, axis=-1) / org.team_members


def firm_mean(values: np.ndarray, org: Organisation) -> np.ndarray:
    """Mean of per-employee quantities (the last axis) within each firm (employees are contiguous by firm)."""
    return np.add.reduceat(values, org.firm_start, axis=-1) / org.firm_agents


def saturating(x: np.ndarray) -> np.ndarray:
    """x / (1 + x): a signal's effect grows with it but never past 1."""
    return x / (1 + x)


def observe_peers(w: Workforce, org: Organisation, p: Params) -> Peers:
    """Peer influence: adopters among teammates (excluding oneself) and among ties to other teams, where a
    champions network stands in for part of the colleagues who have not adopted yet."""
    adopted = w.adopted.astype(np.float64)
    users = (w.usage >= p.usage.user_threshold).astype(np.float64)
    team_sums = np.add.reduceat(np.stack([adopted, w.anxiety, users]), org.team_start, axis=1)[:, w.team]
    others = org.team_members[w.team] - 1
    team_share = np.divide(team_sums[0] - adopted, others, out=np.zeros_like(adopted), where=others > 0)
    k = w.ties.shape[1]
    tie_share = adopted[w.ties.T].sum(axis=0) / k if k else team_share
    weight = p.adoption.team_weight
    seen = weight * team_share + (1 - weight) * tie_share
    champions = p.effects.champions_influence * org.team_champions[w.team]
    members = org.team_members[w.team]
    return Peers(
        adopted_share=seen + champions * (1 - seen),
        team_anxiety=team_sums[1] / members,
        team_user_share=team_sums[2] / members,
    )


def update_anxiety(w: Workforce, org: Organisation, peers: Peers, p: Params) -> None:
    """Anxiety moves toward a target raised by threat, colleagues' fear, automation seen in the firm and one's
    own use of AI not (yet) made one's own (using it shows what it can do of one's job: regular users fear for
    their jobs twice as often as non-users, BCG 2024; integrating it gives mastery), and lowered by skill and
    psychological safety (Venkatesh 2000; Edmondson 1999)."""
    a = p.anxiety
    threat = org.team_threat[w.team]
    target = (
        a.baseline
        + a.threat_weight * threat
        + a.peer_weight * peers.team_anxiety
        + a.automation_weight * threat * saturating(org.firm_automation)[w.firm]
        + a.exposure * w.usage * (1 - w.engagement)
        - a.skill_relief * w.skill
        - a.safety_relief * org.team_safety[w.team]
    )
    w.anxiety += a.rate * (np.clip(target, 0, 1) - w.anxiety)


def update_attitude(w: Workforce, org: Organisation, p: Params) -> None:
    """Perceived usefulness moves toward one's prior, lifted by engaged use and visible wins,
    lowered by usage one is pressed into without commitment (TAM, Davis 1989)."""
    a = p.attitude
    pressed_use = w.usage * ~w.adopted
    target = w.prior + a.experience * w.engagement - a.frustration * pressed_use + org.firm_visibility[w.firm]
    w.attitude += a.rate * (np.clip(target, 0, 1) - w.attitude)


def intention(w: Workforce, org: Organisation, p: Params) -> np.ndarray:
    """Behavioural intention (UTAUT, Venkatesh et al. 2003): a logistic function of performance
    expectancy (attitude), effort expectancy (skill, anchored by anxiety) and facilitating conditions."""
    a = p.adoption
    ease = 0.5 * (w.skill + 1 - w.anxiety)
    z = (
        a.w_usefulness * (w.attitude - 0.5)
        + a.w_ease * (ease - 0.5)
        + a.w_conditions * (org.firm_infrastructure[w.firm] - 0.5)
    )
    return 1 / (1 + np.exp(-z))


def adopt(w: Workforce, peers: Peers, intent: np.ndarray, p: Params, rng: np.random.Generator) -> None:
    """Becoming a committed adopter: Bass hazard p + q * (adopting peers), the imitation term counting only
    once peers pass one's Granovetter threshold, scaled by intention (2 * intention = 1 when neutral).
    Adopters whose intention fades lapse."""
    a = p.adoption
    imitation = np.where(peers.adopted_share >= w.threshold, peers.adopted_share, 0.0)
    hazard = 2 * intent * (a.p + a.q * imitation)
    lapse = a.lapse * (1 - intent)
    draw = rng.random(w.size)
    joins = ~w.adopted & (draw < -np.expm1(-hazard))
    leaves = w.adopted & (draw < -np.expm1(-lapse))
    w.adopted = (w.adopted | joins) & ~leaves


def committed_use(w: Workforce, intent: np.ndarray, p: Params) -> np.ndarray:
    """Usage an employee chooses from commitment: adopters use AI in proportion to their intention."""
    floor = p.usage.committed_floor
    return w.adopted * (floor + (1 - floor) * intent)


def compliance_use(w: Workforce, org: Organisation, peers: Peers, p: Params) -> np.ndarray:
    """Usage under pressure: mandates and monitoring, plus fear of being left behind as colleagues use AI."""
    u = p.usage
    pressure = org.team_mandate[w.team] + u.fear_of_missing_out * w.anxiety * peers.team_user_share
    return u.compliance * np.clip(pressure, 0, 1)


def update_usage(w: Workforce, committed: np.ndarray, compliance: np.ndarray, p: Params) -> None:
    """Usage (what dashboards measure) moves toward the larger of committed and compliance use."""
    w.usage += p.usage.rate * (np.maximum(committed, compliance) - w.usage)


def update_engagement(w: Workforce, org: Organisation, committed: np.ndarray, p: Params) -> None:
    """Engagement grows only from committed use, where experimenting feels safe (champions help), anxiety
    is low and the tools fit the work; it decays otherwise. Compliance use adds nothing (usage is not adoption)."""
    e = p.engagement
    own_use = np.minimum(committed, w.usage)
    safety = np.minimum(1, org.team_safety + p.effects.champions_support * org.team_champions)[w.team]
    conditions = safety * (1 - w.anxiety) * (0.5 + 0.5 * org.firm_infrastructure[w.firm])
    growth = e.growth * own_use * conditions * (1 - w.engagement)
    decay = e.decay * w.engagement * (1 - own_use)
    w.engagement = np.clip(w.engagement + growth - decay, 0, 1)


def update_skill(w: Workforce, p: Params) -> None:
    """AI literacy grows with engagement (learning by integrating AI into work), and is slowly forgotten."""
    s = p.skill
    w.skill += s.learning * w.engagement * (1 - w.skill) - s.forgetting * w.skill


def update_team_safety(w: Workforce, org: Organisation, p: Params) -> None:
    """Team psychological safety recovers toward its base, raised when the manager models engaged use."""
    t = p.teams
    target = np.clip(
        org.team_base_safety + t.manager_modelling * (w.engagement[org.team_start] - t.manager_reference), 0, 1
    )
    org.team_safety += t.recovery * (target - org.team_safety)
