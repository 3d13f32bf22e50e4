"""An idiomatic per-agent Mesa implementation of the whole adoptsim model, the baseline of the speed benchmark.

Every employee, team, pilot and the firm is a `mesa.Agent` holding its state as plain Python values and
applying the rules of sim/rules.py and sim/pilots.py to itself: employees in `Employee.step`, teams when they
observe their members and propose pilots, each pilot in `Pilot.step`. Ties, managers, owners and duplicates
are references to other agents. Weekly figures are collected by a Mesa `DataCollector` whose model reporters
aggregate the agents' attributes. Nothing in the weekly loop touches a NumPy array; uniform, log-normal and
normal draws come from `model.random`, Poisson counts from `model.rng`.

The rules, their order within a week and every parameter are those of sim.model.AdoptionModel. Where the
engine updates synchronously, the agents do too, in two phases as Mesa users write it: teams and employees
observe the start-of-week state before any employee steps, and pilots count rival builds before any pilot
moves. Agents then step in creation order with `do`; after the observe phase the order does not change the
dynamics, and `shuffle_do` would only add the cost of a shuffle. Aggregates the agents need are taken once
where that is the obvious way to write them: each team counts its members once, not every member scanning
the team, and the firm takes its mean skill and engagement once a week, not once per pilot.

The initial state is drawn by the engine's own initialisation (sim.state.build_organisation and
build_workforce, from the same scenario and the engine's setup stream for the same seed) and copied into the
agents, so that both implementations start from the same organisation; that is inside the timed run and
costs a few milliseconds.

The model has one firm and no interventions: it refuses a scenario with a population of firms or with any
intervention. Each week still begins by resetting the teams' and firm's conditions (threat, mandate,
champions, direction, governance, back-office push) to the scenario's levers, as sim.interventions does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import fields
from statistics import fmean

import mesa
import numpy as np
from mesa.datacollection import DataCollector

from sim.model import Streams
from sim.pilots import (
    ABANDONED,
    ACTIVE,
    BACK,
    FRONT,
    IDEA,
    MERGED,
    PILOT,
    POC,
    PRODUCTION,
    SCALED,
    STAGES,
    STALLED,
    bought_share,
    size_elasticity,
)
from sim.schema import Params, Scenario
from sim.state import SHARED_PLATFORM, Organisation, Workforce, build_organisation, build_workforce


def engine_streams(rng: np.random.Generator) -> Streams:
    """The engine's random streams for a model seeded like `rng`, spawned as sim.model.AdoptionModel does."""
    return Streams(*rng.spawn(len(fields(Streams))))


def clip01(x: float) -> float:
    """x limited to [0, 1]."""
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class Firm(mesa.Agent):
    """The firm: its levers and this week's conditions, the signals its pilots send, its lessons, value and
    portfolio of pilots."""

    def __init__(self, model: PerAgentModel, org: Organisation, index: int) -> None:
        super().__init__(model)
        self.size = float(org.firm_employees[index])
        self.teams = float(org.firm_teams[index])
        self.elasticity = float(size_elasticity(org, model.params.pilots)[index])
        self.bought_share = float(bought_share(org.firm_employees[index : index + 1], model.params.pilots)[0])
        self.use_cases = int(org.firm_use_cases[index])
        self.base_threat = float(org.firm_threat[index])
        self.base_mandate = float(org.firm_mandate[index])
        self.alignment = float(org.firm_alignment[index])
        self.culture = float(org.firm_culture[index])
        self.infrastructure = float(org.firm_infrastructure[index])
        self.direction = self.governance = self.back_office_push = 0.0
        self.visibility = self.automation = self.knowledge = 0.0
        self.revenue = self.savings = 0.0
        self.duplicates_merged = 0
        self.staff: list[Employee] = []
        self.pilots: list[Pilot] = []
        self.milestones: Counter[tuple[int, int]] = Counter()
        self.abandoned_this_week = 0
        self.mean_skill = self.mean_engagement = 0.0
        self.reset_conditions()

    def reset_conditions(self) -> None:
        """This week's direction, governance and back-office push: the scenario's levers."""
        self.direction = self.alignment
        self.governance = self.alignment
        self.back_office_push = 0.0

    def observe(self) -> None:
        """Take the mean skill and engagement of the staff, which every pilot's hazards read this week."""
        self.mean_skill = fmean(employee.skill for employee in self.staff)
        self.mean_engagement = fmean(employee.engagement for employee in self.staff)

    def learning(self) -> float:
        """How much earlier pilots' lessons speed later ones, scaled by absorptive capacity (mean skill)."""
        pp = self.model.params.pilots
        known = self.knowledge / (self.knowledge + pp.knowledge_half)
        return 1 + pp.learning_gain * known * (0.5 + self.mean_skill)

    def earliest_live_pilot(self, kind: int, use_case: int) -> Pilot | None:
        """The first live pilot in the portfolio building this use case, if any."""
        for pilot in self.pilots:
            if pilot.live and pilot.kind == kind and pilot.use_case == use_case:
                return pilot
        return None

    def update_signals(self) -> None:
        """Firm-wide signals from this week's milestones: visible wins lift attitudes, scaled back-office
        automation raises anxiety, and every ended pilot leaves lessons (failures only where culture lets them
        be learned)."""
        p = self.model.params
        decay = p.attitude.signal_decay
        wins = self.milestones[PRODUCTION, FRONT] + self.milestones[SCALED, FRONT]
        self.visibility = self.visibility * decay + p.attitude.win_lift * wins
        self.automation = self.automation * decay + self.milestones[SCALED, BACK]
        self.knowledge += sum(self.milestones.values())
        self.knowledge += p.pilots.failure_lessons * self.culture * self.abandoned_this_week
        self.milestones.clear()
        self.abandoned_this_week = 0


class Team(mesa.Agent):
    """A team of a firm: its function, platform, this week's conditions (threat, mandate, champions), its
    psychological safety, what its members see of each other, and the pilots it proposes."""

    def __init__(
        self, model: PerAgentModel, firm: Firm, back_office: bool, platform: int, base_safety: float, represents: float
    ) -> None:
        super().__init__(model)
        self.firm = firm
        self.represents = represents
        self.back_office = back_office
        self.platform = platform
        self.base_safety = base_safety
        self.safety = base_safety
        self.members: list[Employee] = []
        self.threat = self.mandate = self.champions = 0.0
        self.adopters = 0
        self.mean_anxiety = self.user_share = 0.0
        self.reset_conditions()

    @property
    def manager(self) -> Employee:
        """The team's manager, its first member."""
        return self.members[0]

    def reset_conditions(self) -> None:
        """This week's threat, mandate and champions: the firm's levers, no champions."""
        self.threat = self.firm.base_threat
        self.mandate = self.firm.base_mandate
        self.champions = 0.0

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
        target = clip01(self.base_safety + t.manager_modelling * (self.manager.engagement - t.manager_reference))
        self.safety += t.recovery * (target - self.safety)

    def mean_engagement(self) -> float:
        """The members' mean engagement."""
        return sum(member.engagement for member in self.members) / len(self.members)

    def enthusiasm(self) -> float:
        """The members' mean attitude, deepened by engagement (not by mere usage)."""
        return sum(member.attitude * (0.5 + member.engagement) for member in self.members) / len(self.members)

    def proposal_rate(self) -> float:
        """Expected new ideas this week: in proportion to the team's enthusiasm, for every team it stands for, and
        growing with the firm's head count to the power `proposal_elasticity`."""
        return self.model.params.pilots.intake * self.enthusiasm() * self.represents * self.firm.elasticity

    def propose_pilots(self) -> None:
        """New ideas arrive at the team's proposal rate."""
        for _ in range(self.rng.poisson(self.proposal_rate())):
            self.propose_pilot()

    def propose_pilot(self) -> None:
        """One idea: its kind, use case, value, depth, sponsorship and whether it is bought. Governance reviews it
        with a chance that grows with the firm's governance and merges it if it duplicates a live pilot (one
        proposed this week included); otherwise it becomes a pilot, remembering the pilot it duplicates."""
        pp = self.model.params.pilots
        firm = self.firm
        kind = BACK if self.random.random() < self.back_office_chance() else FRONT
        use_case = int(self.random.random() * firm.use_cases)
        scale, depth_mean = (pp.back_value, pp.back_depth) if kind == BACK else (pp.front_value, pp.front_depth)
        value = scale * self.random.lognormvariate(0, pp.value_spread)
        depth = clip01(self.random.gauss(depth_mean, pp.depth_spread))
        aligned = self.random.random() < firm.direction
        bought = self.random.random() < firm.bought_share
        reviewed = self.random.random() < pp.duplicate_detection * firm.governance
        original = firm.earliest_live_pilot(kind, use_case)
        if original is not None and reviewed:
            firm.duplicates_merged += 1
            return
        Pilot(self.model, self, kind, use_case, value, depth, aligned, bought, original)

    def back_office_chance(self) -> float:
        """Shiny objects: without strategic direction even back-office teams pick visible front-office quick
        wins; direction (and a portfolio push toward back-office value) shifts the choice."""
        pp = self.model.params.pilots
        firm = self.firm
        base = pp.back_office_own if self.back_office else pp.back_office_front
        return base + min(1.0, pp.back_office_bias * firm.direction + firm.back_office_push) * (1 - base)


class Employee(mesa.Agent):
    """One employee, holding their own state and applying the weekly rules to themselves."""

    def __init__(self, model: PerAgentModel, team: Team, state: dict[str, float | bool]) -> None:
        super().__init__(model)
        self.team = team
        self.firm = team.firm
        self.threshold = state["threshold"]
        self.prior = state["prior"]
        self.attitude = state["attitude"]
        self.anxiety = state["anxiety"]
        self.skill = state["skill"]
        self.usage = state["usage"]
        self.engagement = state["engagement"]
        self.adopted = state["adopted"]
        self.ties: list[Employee] = []
        self.peer_adoption = 0.0
        team.members.append(self)
        self.firm.staff.append(self)

    def observe(self) -> None:
        """Adopters among teammates (excluding oneself) and among one's ties to other teams, where the team's
        champions stand in for part of the colleagues who have not adopted yet."""
        p = self.model.params
        team = self.team
        others = len(team.members) - 1
        team_share = (team.adopters - self.adopted) / others if others > 0 else 0.0
        ties = self.ties
        tie_share = sum(tie.adopted for tie in ties) / len(ties) if ties else team_share
        weight = p.adoption.team_weight
        seen = weight * team_share + (1 - weight) * tie_share
        champions = p.effects.champions_influence * team.champions
        self.peer_adoption = seen + champions * (1 - seen)

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
        """Anxiety moves toward a target raised by threat, colleagues' fear, seen automation and one's own use not
        made one's own, lowered by skill and the team's safety."""
        a = self.model.params.anxiety
        team, firm = self.team, self.firm
        automation = firm.automation / (1 + firm.automation)
        target = (
            a.baseline
            + a.threat_weight * team.threat
            + a.peer_weight * team.mean_anxiety
            + a.automation_weight * team.threat * automation
            + a.exposure * self.usage * (1 - self.engagement)
            - a.skill_relief * self.skill
            - a.safety_relief * team.safety
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
        z = (
            a.w_usefulness * (self.attitude - 0.5)
            + a.w_ease * (ease - 0.5)
            + a.w_conditions * (self.firm.infrastructure - 0.5)
        )
        return 1 / (1 + math.exp(-z))

    def adopt(self, intent: float) -> None:
        """Adopt with a Bass hazard whose imitation term counts once peers pass one's threshold;
        lapse as intention fades."""
        a = self.model.params.adoption
        draw = self.random.random()
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
        pressure = self.team.mandate + u.fear_of_missing_out * self.anxiety * self.team.user_share
        compliance = u.compliance * clip01(pressure)
        self.usage += u.rate * (max(committed, compliance) - self.usage)

    def update_engagement(self, committed: float) -> None:
        """Engagement grows from committed use where it is safe (champions help), calm and the tools fit;
        it decays otherwise."""
        p = self.model.params
        e = p.engagement
        own_use = min(committed, self.usage)
        safety = min(1.0, self.team.safety + p.effects.champions_support * self.team.champions)
        conditions = safety * (1 - self.anxiety) * (0.5 + 0.5 * self.firm.infrastructure)
        growth = e.growth * own_use * conditions * (1 - self.engagement)
        decay = e.decay * self.engagement * (1 - own_use)
        self.engagement = clip01(self.engagement + growth - decay)

    def update_skill(self) -> None:
        """Skill grows with engagement and is slowly forgotten."""
        s = self.model.params.skill
        self.skill += s.learning * self.engagement * (1 - self.skill) - s.forgetting * self.skill


class Pilot(mesa.Agent):
    """One pilot, moving itself through idea -> proof of concept -> pilot -> production -> scaled, stalling,
    resuming or being abandoned on the way, and delivering value once in production."""

    def __init__(
        self,
        model: PerAgentModel,
        team: Team,
        kind: int,
        use_case: int,
        value: float,
        depth: float,
        aligned: bool,
        bought: bool,
        duplicate_of: Pilot | None,
    ) -> None:
        super().__init__(model)
        self.team = team
        self.firm = team.firm
        self.kind = kind
        self.use_case = use_case
        self.value = value
        self.depth = depth
        self.platform = team.platform
        self.aligned = aligned
        self.bought = bought
        self.duplicate_of = duplicate_of
        self.stage = IDEA
        self.status = ACTIVE
        self.week_proposed = self.week_in_stage = model.week
        self.week_poc: int | None = None
        self.week_stalled: int | None = None
        self.week_ended: int | None = None
        self.rivals = 0
        self.firm.pilots.append(self)

    @property
    def live(self) -> bool:
        """Neither abandoned nor merged into another pilot."""
        return self.status == ACTIVE or self.status == STALLED

    def observe(self) -> None:
        """At production, count rival builds: other live pilots past the POC building the same use case on a
        different platform (counted before any pilot moves this week)."""
        if self.stage == PRODUCTION and self.status == ACTIVE:
            self.rivals = sum(
                other.live
                and other.stage >= PILOT
                and other.kind == self.kind
                and other.use_case == self.use_case
                and other.platform != self.platform
                for other in self.firm.pilots
            )

    def step(self) -> None:
        """One week: an active pilot advances or stalls, a stalled one resumes or ages into abandonment;
        then it accrues its value."""
        if self.live and self.stage < SCALED:
            ready = self.readiness()
            if self.status == ACTIVE:
                self.advance_or_stall(ready)
            else:
                self.resume_or_abandon(ready)
        self.accrue_value()

    def readiness(self) -> float:
        """How ready the owning team and firm are to move the pilot on, in [0, 1]: the team's engagement,
        infrastructure against the use case's depth (from the pilot stage on; deeper to scale from production, by
        `scale_integration` per tenfold number of teams), strategic sponsorship, and the firm's size (larger
        firms move slower)."""
        pp = self.model.params.pilots
        firm = self.firm
        engagement = pp.base_readiness + (1 - pp.base_readiness) * min(
            1.0, self.team.mean_engagement() / pp.engagement_need
        )
        depth = self.depth + (pp.scale_integration * math.log10(firm.teams) if self.stage == PRODUCTION else 0.0)
        fit = 1 / (1 + math.exp(-pp.fit_sharpness * (firm.infrastructure - depth))) if self.stage >= PILOT else 1.0
        sponsor = 1.0 if self.aligned else 1 - pp.sponsorship
        size = 1 / (1 + pp.size_drag * math.log10(max(firm.size, 100) / 100))
        return engagement * fit * sponsor * size

    def scaling_conditions(self) -> float:
        """What scaling across teams also needs: engaged receiving teams, the shared platform and no rivals."""
        pp = self.model.params.pilots
        receivers = min(1.0, self.firm.mean_engagement / pp.engagement_need)
        interop = 1.0 if self.platform == SHARED_PLATFORM else 1 - pp.interop_penalty
        return receivers * interop / (1 + self.rivals)

    def advance_or_stall(self, ready: float) -> None:
        """Competing weekly hazards: move to the next stage (a bought tool faster past the proof of concept), or
        (before production) stall."""
        pp = self.model.params.pilots
        hazard = pp.advance[self.stage] * ready * self.firm.learning()
        if self.bought and self.stage >= POC:
            hazard *= pp.bought_advantage
        stall_hazard = pp.stall * (1 - ready)
        if self.stage == PRODUCTION:
            hazard *= self.scaling_conditions()
            stall_hazard = 0.0
        draw = self.random.random()
        p_advance = -math.expm1(-hazard)
        if draw < p_advance:
            self.move_up()
        elif draw < p_advance - math.expm1(-stall_hazard):
            self.status = STALLED
            self.week_stalled = self.model.week

    def move_up(self) -> None:
        """Reach the next stage; production and scale are milestones the firm notices."""
        week = self.model.week
        self.stage += 1
        self.week_in_stage = week
        if self.stage == POC:
            self.week_poc = week
        if self.stage >= PRODUCTION:
            self.firm.milestones[self.stage, self.kind] += 1
        if self.stage == SCALED:
            self.week_ended = week

    def resume_or_abandon(self, ready: float) -> None:
        """A stalled pilot resumes with a hazard that grows with readiness; left stalled too long, it is abandoned."""
        pp = self.model.params.pilots
        week = self.model.week
        if self.random.random() < -math.expm1(-pp.resume * ready):
            self.status = ACTIVE
        elif week - self.week_stalled >= pp.abandon_after:
            self.abandon(week)

    def abandon(self, week: int) -> None:
        """Give up; in a blame culture the team loses psychological safety, and the firm may learn from it."""
        self.status = ABANDONED
        self.week_ended = week
        self.team.safety = clip01(self.team.safety - self.model.params.teams.blame * (1 - self.firm.culture))
        self.firm.abandoned_this_week += 1

    def accrue_value(self) -> None:
        """A week of value: in production a fraction of the yearly value, scaled the whole of it. Front-office
        value is revenue, back-office value is cost saved."""
        if not self.live or self.stage < PRODUCTION:
            return
        share = self.model.params.pilots.production_share if self.stage == PRODUCTION else 1.0
        weekly = share * self.value / 52
        if self.kind == FRONT:
            self.firm.revenue += weekly
        else:
            self.firm.savings += weekly


def employee_mean(attribute: str) -> Callable[[PerAgentModel], float]:
    """A model reporter: the employees' mean of one attribute."""
    return lambda model: fmean(model.employees.get(attribute))


def employee_share(attribute: str, threshold: float) -> Callable[[PerAgentModel], float]:
    """A model reporter: the share of employees whose attribute reaches a threshold."""
    return lambda model: fmean(value >= threshold for value in model.employees.get(attribute))


def live_pilots_at(stage: int) -> Callable[[PerAgentModel], int]:
    """A model reporter: live pilots in one stage."""
    return lambda model: sum(pilot.live and pilot.stage == stage for pilot in model.pilots)


def pilots_with_status(status: int) -> Callable[[PerAgentModel], int]:
    """A model reporter: pilots with one status."""
    return lambda model: sum(pilot.status == status for pilot in model.pilots)


def model_reporters(p: Params) -> dict[str, Callable[[PerAgentModel], float]]:
    """The engine's weekly record (sim.metrics.weekly_record) for the one firm, as DataCollector model reporters;
    without intervention costs, as the model has no interventions."""
    return {
        "week": lambda model: model.week,
        "employees": lambda model: int(model.firm.size),
        "usage_rate": employee_share("usage", p.usage.user_threshold),
        "engagement_rate": employee_share("engagement", p.engagement.engaged_threshold),
        "adopted_share": employee_mean("adopted"),
        "mean_usage": employee_mean("usage"),
        "mean_engagement": employee_mean("engagement"),
        "mean_anxiety": employee_mean("anxiety"),
        "mean_attitude": employee_mean("attitude"),
        "mean_skill": employee_mean("skill"),
        "mean_team_safety": lambda model: fmean(model.teams.get("safety")),
        **{name: live_pilots_at(stage) for stage, name in enumerate(STAGES)},
        "stalled": pilots_with_status(STALLED),
        "abandoned": pilots_with_status(ABANDONED),
        "merged": pilots_with_status(MERGED),
        "duplicates_merged": lambda model: model.firm.duplicates_merged,
        "knowledge": lambda model: model.firm.knowledge,
        "revenue": lambda model: model.firm.revenue,
        "savings": lambda model: model.firm.savings,
    }


class PerAgentModel(mesa.Model):
    """The engine's single-firm scenario, with the firm, its teams, employees and pilots agents stepping
    themselves."""

    def __init__(self, scenario: Scenario | None = None, rng: int = 0) -> None:
        super().__init__(rng=rng)
        self.spec = scenario if scenario is not None else Scenario()
        if self.spec.interventions or self.spec.population is not None:
            raise ValueError("PerAgentModel runs one firm without interventions; give it a scenario like that.")
        self.params = self.spec.params
        setup = engine_streams(self.rng).setup
        org, counts = build_organisation([self.spec.firm], self.params, setup)
        workforce = build_workforce(org, counts, self.params, self.params.adoption.cross_team_ties, setup)
        self.firm = Firm(self, org, 0)
        self.team_list = self.create_teams(org)
        self.staff = self.create_employees(workforce)
        self.datacollector = DataCollector(model_reporters=model_reporters(self.params))
        self.datacollector.collect(self)

    def create_teams(self, org: Organisation) -> list[Team]:
        """One agent per team of the initial organisation."""
        return [
            Team(self, self.firm, back_office, platform, base_safety, represents)
            for back_office, platform, base_safety, represents in zip(
                org.team_back_office.tolist(),
                org.team_platform.tolist(),
                org.team_base_safety.tolist(),
                org.team_represents.tolist(),
                strict=True,
            )
        ]

    def create_employees(self, w: Workforce) -> list[Employee]:
        """One agent per employee of the initial workforce (teams' first members are their managers), with their
        cross-team ties in place."""
        names = ("threshold", "prior", "attitude", "anxiety", "skill", "usage", "engagement", "adopted")
        columns = [getattr(w, name).tolist() for name in names]
        staff = [
            Employee(self, self.team_list[team], dict(zip(names, values, strict=True)))
            for team, *values in zip(w.team.tolist(), *columns, strict=True)
        ]
        for employee, ties in zip(staff, w.ties.tolist(), strict=True):
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

    @property
    def pilots(self) -> Iterable[Pilot]:
        """All pilots kept so far, in the order proposed (an empty set before the first)."""
        pilots = self.agents_by_type.get(Pilot)
        return pilots if pilots is not None else mesa.agent.AgentSet([], random=self.random)

    def step(self) -> None:
        """One week in the engine's order: conditions reset; employees see their peers, feel, intend, adopt, use
        and learn; team safety; then the pilot funnel moves; then the week's figures are collected."""
        self.reset_conditions()
        self.step_employees()
        self.propose_pilots()
        self.advance_pilots()
        self.datacollector.collect(self)
        self.running = self.week < self.spec.weeks

    def reset_conditions(self) -> None:
        """This week's conditions before any intervention would act: the scenario's levers."""
        self.firm.reset_conditions()
        self.teams.do("reset_conditions")

    def step_employees(self) -> None:
        """Teams and employees observe the start-of-week state, every employee steps, then team safety moves."""
        self.teams.do("observe")
        self.employees.do("observe")
        self.employees.do("step")
        self.teams.do("update_safety")

    def propose_pilots(self) -> None:
        """Every team proposes its new ideas."""
        self.teams.do("propose_pilots")

    def advance_pilots(self) -> None:
        """The firm takes stock, pilots count their rivals and then move, and the firm's signals follow."""
        self.firm.observe()
        pilots = self.pilots
        if pilots:
            pilots.do("observe")
            pilots.do("step")
        self.firm.update_signals()

    def summary(self) -> dict[str, float]:
        """Headline figures now, named as in sim.metrics.headline."""
        pilots = list(self.pilots)
        final = {name: values[-1] for name, values in self.datacollector.model_vars.items()}
        return {
            "pilots_proposed": len(pilots),
            "pilots_started": sum(pilot.stage >= POC for pilot in pilots),
            "pilots_reached_production": sum(pilot.stage >= PRODUCTION for pilot in pilots),
            "pilots_scaled": sum(pilot.stage == SCALED for pilot in pilots),
            "pilots_abandoned": final["abandoned"],
            "duplicates_merged": self.firm.duplicates_merged,
            "usage_rate": final["usage_rate"],
            "engagement_rate": final["engagement_rate"],
            "adopted_share": final["adopted_share"],
            "mean_anxiety": final["mean_anxiety"],
            "mean_skill": final["mean_skill"],
            "revenue": self.firm.revenue,
            "savings": self.firm.savings,
        }
