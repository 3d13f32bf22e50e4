"""AdoptionModel: one or more firms whose employees adopt (or merely use) AI while pilots move through the funnel.

Read `step` top to bottom for the order of the weekly rules. The model does no I/O and reads no clock:
a run is a pure function of the scenario and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import mesa
import numpy as np

from sim import pilots as funnel
from sim import rules
from sim.agents import Employee, Team
from sim.interventions import Context, Timeline
from sim.metrics import employee_states, headline, weekly_record
from sim.population import draw_firms
from sim.schema import Firm, Scenario
from sim.state import build_organisation, build_workforce


@dataclass
class Streams:
    """Independent random streams, one per source of chance, spawned from the run's seed. Two runs with the
    same seed (common random numbers) then share each source's draws even where an intervention changes how
    many draws another source makes."""

    setup: np.random.Generator
    adoption: np.random.Generator
    proposals: np.random.Generator
    funnel: np.random.Generator
    interventions: np.random.Generator


class AdoptionModel(mesa.Model):
    """Firms of employees (Mesa agents over shared arrays) and their pilots, stepped one week at a time.

    The weekly rules run as compiled kernels (sim/kernels.py); `compiled=False` runs them as the NumPy
    functions of sim/rules.py and sim/pilots.py that specify them, with the same draws and results to the
    last bits (tests/test_kernels.py). Left out, `compiled` is `compiled_default` (benchmarks set it to
    compare the two in one process, or in a pool's workers)."""

    compiled_default = True

    def __init__(
        self,
        scenario: Scenario | None = None,
        rng: int | np.random.Generator | None = 0,
        firms: list[Firm] | None = None,
        compiled: bool | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.streams = Streams(*self.rng.spawn(len(fields(Streams))))
        self.spec = scenario if scenario is not None else Scenario()
        self.params = self.spec.params
        setup = self.streams.setup
        self.firms = firms if firms is not None else draw_firms(self.spec, setup)
        self.organisation, counts = build_organisation(self.firms, self.params, setup)
        self.workforce = build_workforce(
            self.organisation, counts, self.params, self.params.adoption.cross_team_ties, setup, self.firms
        )
        self.pilots = funnel.PilotTable()
        funnel.start_portfolio(self.pilots, self.firms, self.organisation, self.params, setup)
        self.duplicates_merged = np.zeros(self.organisation.n_firms)
        self.timeline = Timeline(self.spec.interventions, self.organisation, self.spec.weeks)
        self.compiled = None
        if self.compiled_default if compiled is None else compiled:
            from sim.kernels import Compiled  # here, so that only a process that runs a model loads Numba

            self.compiled = Compiled(self.organisation, self.params)
        self._employee_list: list[Employee] | None = None
        self.records = [self.record()]

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.steps

    @property
    def employees(self) -> mesa.agent.AgentSet:
        """All employees as a Mesa AgentSet."""
        return self.agents_by_type[Employee]

    @property
    def employee_list(self) -> list[Employee]:
        """Every employee as a Mesa agent, by index. The agents are made on first use of this, `employees` or
        Mesa's `agents`, `agents_by_type` and `agent_types`, in index order (unique ids 1, 2, ...): runs that
        only read the arrays (sweeps, calibration) do not build them (over a microsecond each, more than ten
        weeks of the compiled rules)."""
        self.make_employees()
        return self._employee_list

    def make_employees(self) -> None:
        """Make every employee's Mesa agent, unless made already (or the workforce is not yet built)."""
        if self.__dict__.get("_employee_list") is None and "workforce" in self.__dict__:
            self._employee_list = [Employee(self, i) for i in range(self.workforce.size)]

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Mesa's set of all agents, the employees made first if they are not yet."""
        self.make_employees()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        """Mesa's agents by type, the employees made first if they are not yet."""
        self.make_employees()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types, the employees made first if they are not yet."""
        self.make_employees()
        return super().agent_types

    def team(self, index: int) -> Team:
        """A view of one team."""
        return Team(self, index)

    def step(self) -> None:
        """One week: interventions act; employees see their peers, feel, intend, adopt, use and learn; then the
        pilot funnel moves."""
        w, org, p, streams = self.workforce, self.organisation, self.params, self.streams
        self.timeline.apply(Context(w, org, self.pilots, p, streams.interventions, self.week), self.records[-1])
        if self.compiled is None:  # the rules as written in sim/rules.py and sim/pilots.py: the specification
            peers = rules.observe_peers(w, org, p)
            rules.update_anxiety(w, org, peers, p)
            rules.update_attitude(w, org, p)
            intent = rules.intention(w, org, p)
            rules.adopt(w, peers, intent, p, streams.adoption)
            committed = rules.committed_use(w, intent, p)
            rules.update_usage(w, committed, rules.compliance_use(w, org, peers, p), p)
            rules.update_engagement(w, org, committed, p)
            rules.update_skill(w, p)
            rules.update_team_safety(w, org, p)
            self.duplicates_merged += funnel.propose(self.pilots, w, org, p, self.week, streams.proposals)
            events = funnel.advance(self.pilots, w, org, p, self.week, streams.funnel)
            funnel.update_signals(events, org, p)
            funnel.accrue_value(self.pilots, org, p)
        else:  # the same rules, draws and order, fused into a few compiled kernels (sim/kernels.py)
            self.compiled.employees(w, org, streams.adoption)
            self.duplicates_merged += self.compiled.propose(self.pilots, org, self.week, streams.proposals)
            self.compiled.advance(self.pilots, w, org, self.week, streams.funnel)
        self.records.append(self.record())
        self.running = self.week < self.spec.weeks

    def record(self) -> dict[str, np.ndarray]:
        """This week's figures per firm."""
        if self.compiled is not None:
            state = (self.workforce, self.organisation, self.pilots)
            return self.compiled.record(self.week, *state, self.duplicates_merged, self.timeline.cost_per_firm)
        return weekly_record(
            self.week,
            self.workforce,
            self.organisation,
            self.pilots,
            self.duplicates_merged,
            self.timeline.cost_per_firm,
            self.params,
        )

    def employee_states(self) -> np.ndarray:
        """Each employee's visible state code (see sim.metrics.employee_states)."""
        return employee_states(self.workforce, self.params)

    def summary(self, firms: list[int] | None = None) -> dict[str, float]:
        """Headline figures now, over the given firms (all by default)."""
        chosen = np.arange(self.organisation.n_firms) if firms is None else np.asarray(firms)
        figures = headline(self.workforce, self.pilots, self.organisation, self.duplicates_merged, self.params, chosen)
        return figures | {"intervention_cost": float(self.timeline.cost_per_firm[chosen].sum())}
