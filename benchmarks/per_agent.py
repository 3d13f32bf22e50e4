"""An idiomatic per-agent Mesa implementation of the engine's employee rules, the baseline of the speed benchmark.

Each `Employee` is a `mesa.Agent` holding its state as plain Python floats and applying the rules of
sim/rules.py to itself in `step()`, with `self.model.random` for its draws. Each `Team` (also an agent)
keeps a list of its members and its manager; ties to other teams are references to other agents.
Only the implementation style differs from the engine: the rules, their order within a week and every
parameter are the same, and the model starts from the engine's own initial state (built by
sim.state.build_organisation and build_workforce from the same scenario and seed, then copied into the
agents). The random streams differ, so runs agree statistically, not bit for bit.

A week runs in two phases, as Mesa users write synchronous updates: every team and employee first
observes the start-of-week state (team counts and means, adopting peers), then every employee steps.
After the observe phase each step reads only its own state and what it observed, so the order in which
employees step does not matter; they are stepped with `do` rather than `shuffle_do`, which would only
add the cost of a shuffle.

The pilot funnel is not the per-agent hot path (it works on a table of a few dozen pilots per thousand
employees), so this model reuses the engine's own funnel functions from sim/pilots.py and its weekly
record from sim/metrics.py. To feed them, each week the agents' state is copied into the workforce and
team-safety arrays the funnel reads, and the funnel's results (safety lost to blame, firm-wide signals)
are copied back into the teams and firms. The comparison therefore covers the employee rules in both
styles plus the same pilot and recording code, and that copying is counted in the per-agent time.
"""

from __future__ import annotations

import math
from operator import attrgetter

import mesa
import numpy as np

from sim import pilots as funnel
from sim.metrics import headline, weekly_record
from sim.schema import Scenario
from sim.state import Organisation, Workforce, build_organisation, build_workforce

EMPLOYEE_STATE = ("attitude", "anxiety", "skill", "usage", "engagement", "adopted")
"""The employee attributes copied into the workforce arrays each week for the funnel and the record."""


def clip01(x: float) -> float:
    """x limited to [0, 1]."""
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class FirmClimate:
    """A firm's conditions as plain floats: fixed levers and pressures, and the weekly signals from its pilots."""

    def __init__(self, org: Organisation, index: int) -> None:
        self.index = index
        self.threat = float(org.firm_threat[index])
        self.infrastructure = float(org.firm_infrastructure[index])
        self.mandate = float(org.firm_mandate[index])
        self.refresh(org)

    def refresh(self, org: Organisation) -> None:
        """Read this week's signals (visible wins, automation seen) after the pilot funnel has moved."""
        self.visibility = float(org.firm_visibility[self.index])
        self.automation = float(org.firm_automation[self.index])


class Team(mesa.Agent):
    """A team: its members and manager, its psychological safety and what its members see of each other."""

    def __init__(self, model: PerAgentModel, index: int, base_safety: float) -> None:
        super().__init__(model)
        self.index = index
        self.base_safety = base_safety
        self.safety = base_safety
        self.members: list[Employee] = []
        self.manager: Employee | None = None
        self.adopters = 0
        self.mean_anxiety = 0.0
        self.user_share = 0.0

    def observe(self) -> None:
        """Count the members who have adopted, and take their mean anxiety and share of regular users."""
        members = self.members
        threshold = self.model.params.usage.user_threshold
        self.adopters = sum(member.adopted for member in members)
        self.mean_anxiety = sum(member.anxiety for member in members) / len(members)
        self.user_share = sum(member.usage >= threshold for member in members) / len(members)

    def update_safety(self) -> None:
        """Safety recovers toward its base, raised when the manager models engaged use."""
        t = self.model.params.teams
        target = clip01(self.base_safety + t.manager_modelling * (self.manager.engagement - 0.25))
        self.safety += t.recovery * (target - self.safety)


class Employee(mesa.Agent):
    """One employee, holding their own state and applying the weekly rules to themselves."""

    def __init__(self, model: PerAgentModel, w: Workforce, index: int, team: Team, firm: FirmClimate) -> None:
        super().__init__(model)
        self.index = index
        self.team = team
        self.firm = firm
        self.threshold = float(w.threshold[index])
        self.prior = float(w.prior[index])
        self.attitude = float(w.attitude[index])
        self.anxiety = float(w.anxiety[index])
        self.skill = float(w.skill[index])
        self.usage = float(w.usage[index])
        self.engagement = float(w.engagement[index])
        self.adopted = bool(w.adopted[index])
        self.ties: list[Employee] = []
        self.peer_adoption = 0.0
        team.members.append(self)

    def observe(self) -> None:
        """Adopters among teammates (excluding oneself) and among one's ties to other teams."""
        team = self.team
        others = len(team.members) - 1
        team_share = (team.adopters - self.adopted) / others if others > 0 else 0.0
        ties = self.ties
        tie_share = sum(tie.adopted for tie in ties) / len(ties) if ties else team_share
        weight = self.model.params.adoption.team_weight
        self.peer_adoption = weight * team_share + (1 - weight) * tie_share

    def step(self) -> None:
        """One week: feel, intend, adopt, use, engage and learn."""
        self.update_anxiety()
        self.update_attitude()
        intent = self.intention()
        self.adopt(intent)
        committed = self.committed_use(intent)
        self.update_usage(committed)
        self.update_engagement(committed)
        self.update_skill()

    def update_anxiety(self) -> None:
        """Anxiety moves toward a target raised by threat, colleagues' fear and seen automation,
        lowered by skill and the team's safety."""
        a = self.model.params.anxiety
        firm = self.firm
        automation = firm.automation / (1 + firm.automation)
        target = (
            a.baseline
            + a.threat_weight * firm.threat
            + a.peer_weight * self.team.mean_anxiety
            + a.automation_weight * firm.threat * automation
            - a.skill_relief * self.skill
            - a.safety_relief * self.team.safety
        )
        self.anxiety += a.rate * (clip01(target) - self.anxiety)

    def update_attitude(self) -> None:
        """Attitude moves toward one's prior, lifted by engagement and visible wins, lowered by pressed use."""
        a = self.model.params.attitude
        pressed_use = 0.0 if self.adopted else self.usage
        target = self.prior + a.experience * self.engagement - a.frustration * pressed_use + self.firm.visibility
        self.attitude += a.rate * (clip01(target) - self.attitude)

    def intention(self) -> float:
        """Intention: a logistic function of attitude, ease of use and the firm's infrastructure."""
        a = self.model.params.adoption
        ease = 0.5 * (self.skill + 1 - self.anxiety)
        z = a.w_usefulness * (self.attitude - 0.5) + a.w_ease * (ease - 0.5) + a.w_conditions * (self.firm.infrastructure - 0.5)
        return 1 / (1 + math.exp(-z))

    def adopt(self, intent: float) -> None:
        """Adopt with a Bass hazard whose imitation term counts once peers pass one's threshold; lapse as intention fades."""
        a = self.model.params.adoption
        draw = self.model.random.random()
        if self.adopted:
            self.adopted = draw >= -math.expm1(-a.lapse * (1 - intent))
        else:
            imitation = self.peer_adoption if self.peer_adoption >= self.threshold else 0.0
            self.adopted = draw < -math.expm1(-2 * intent * (a.p + a.q * imitation))

    def committed_use(self, intent: float) -> float:
        """Usage chosen from commitment: adopters use AI in proportion to their intention."""
        floor = self.model.params.usage.committed_floor
        return floor + (1 - floor) * intent if self.adopted else 0.0

    def update_usage(self, committed: float) -> None:
        """Usage moves toward the larger of committed use and compliance use under pressure."""
        u = self.model.params.usage
        pressure = self.firm.mandate + u.fear_of_missing_out * self.anxiety * self.team.user_share
        compliance = u.compliance * clip01(pressure)
        self.usage += u.rate * (max(committed, compliance) - self.usage)

    def update_engagement(self, committed: float) -> None:
        """Engagement grows from committed use where it is safe, calm and the tools fit; it decays otherwise."""
        e = self.model.params.engagement
        own_use = min(committed, self.usage)
        conditions = self.team.safety * (1 - self.anxiety) * (0.5 + 0.5 * self.firm.infrastructure)
        growth = e.growth * own_use * conditions * (1 - self.engagement)
        decay = e.decay * self.engagement * (1 - own_use)
        self.engagement = clip01(self.engagement + growth - decay)

    def update_skill(self) -> None:
        """Skill grows with engagement and is slowly forgotten."""
        s = self.model.params.skill
        self.skill += s.learning * self.engagement * (1 - self.skill) - s.forgetting * self.skill


class PerAgentModel(mesa.Model):
    """The engine's single-firm scenario, with each employee and team an agent stepping itself."""

    def __init__(self, scenario: Scenario | None = None, rng: int = 0) -> None:
        super().__init__(rng=rng)
        self.spec = scenario if scenario is not None else Scenario()
        self.params = self.spec.params
        self.firms = [self.spec.firm]
        self.organisation, counts = build_organisation(self.firms, self.params, self.rng)
        self.workforce = build_workforce(self.organisation, counts, self.params, self.params.adoption.cross_team_ties, self.rng)
        self.climates = [FirmClimate(self.organisation, i) for i in range(self.organisation.n_firms)]
        self.team_list = [Team(self, i, float(safety)) for i, safety in enumerate(self.organisation.team_base_safety)]
        self.staff = self.create_employees()
        self.pilots = funnel.PilotTable()
        self.duplicates_merged = np.zeros(self.organisation.n_firms)
        self.records = [self.record()]

    def create_employees(self) -> list[Employee]:
        """One agent per employee of the initial workforce, with their managers and cross-team ties in place."""
        w = self.workforce
        staff = [Employee(self, w, i, self.team_list[team], self.climates[firm]) for i, (team, firm) in enumerate(zip(w.team, w.firm))]
        for team, manager in zip(self.team_list, self.organisation.team_manager):
            team.manager = staff[manager]
        for employee, ties in zip(staff, w.ties.tolist()):
            employee.ties = [staff[j] for j in ties]
        return staff

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.steps

    @property
    def employees(self) -> mesa.agent.AgentSet:
        """All employee agents."""
        return self.agents_by_type[Employee]

    @property
    def teams(self) -> mesa.agent.AgentSet:
        """All team agents."""
        return self.agents_by_type[Team]

    def step(self) -> None:
        """One week in the engine's order: observe, then each employee steps, then team safety, then the funnel."""
        self.teams.do("observe")
        self.employees.do("observe")
        self.employees.do("step")
        self.teams.do("update_safety")
        self.move_pilots()
        self.records.append(self.record())
        self.running = self.week < self.spec.weeks

    def move_pilots(self) -> None:
        """The engine's pilot funnel on a copy of the agents' state, its results copied back to teams and firms."""
        self.publish_state()
        w, org, p, rng = self.workforce, self.organisation, self.params, self.rng
        self.duplicates_merged += funnel.propose(self.pilots, w, org, p, self.week, rng)
        events = funnel.advance(self.pilots, w, org, p, self.week, rng)
        funnel.update_signals(events, org, p)
        funnel.accrue_value(self.pilots, org, p)
        for team, safety in zip(self.team_list, org.team_safety.tolist()):
            team.safety = safety
        for climate in self.climates:
            climate.refresh(org)

    def publish_state(self) -> None:
        """Copy the employees' state and the teams' safety into the arrays the funnel and the record read."""
        w, n = self.workforce, len(self.staff)
        for name in EMPLOYEE_STATE:
            column = getattr(w, name)
            column[:] = np.fromiter(map(attrgetter(name), self.staff), dtype=column.dtype, count=n)
        self.organisation.team_safety[:] = np.fromiter(map(attrgetter("safety"), self.team_list), dtype=float, count=len(self.team_list))

    def record(self) -> dict[str, np.ndarray]:
        """This week's figures, as the engine records them."""
        return weekly_record(self.week, self.workforce, self.organisation, self.pilots, self.duplicates_merged, self.params)

    def summary(self) -> dict[str, float]:
        """Headline figures now, as the engine reports them."""
        firms = np.arange(self.organisation.n_firms)
        return headline(self.workforce, self.pilots, self.organisation, self.duplicates_merged, self.params, firms)
