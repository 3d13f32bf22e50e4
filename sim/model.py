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
    """Firms of employees (Mesa agents over shared arrays) and their pilots, stepped one week at a time."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        rng: int | np.random.Generator | None = 0,
        firms: list[Firm] | None = None,
    ) -> None:
        super().__init__(rng=rng)
        self.streams = Streams(*self.rng.spawn(len(fields(Streams))))
        self.spec = scenario if scenario is not None else Scenario()
        self.params = self.spec.params
        setup = self.streams.setup
        self.firms = firms if firms is not None else draw_firms(self.spec, setup)
        self.organisation, counts = build_organisation(self.firms, self.params, setup)
        self.workforce = build_workforce(
            self.organisation, counts, self.params, self.params.adoption.cross_team_ties, setup
        )
        self.pilots = funnel.PilotTable()
        self.duplicates_merged = np.zeros(self.organisation.n_firms)
        self.timeline = Timeline(self.spec.interventions, self.organisation, self.spec.weeks)
        self.employee_list = [Employee(self, i) for i in range(self.workforce.size)]
        self.records = [self.record()]

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.steps

    @property
    def employees(self) -> mesa.agent.AgentSet:
        """All employees as a Mesa AgentSet."""
        return self.agents_by_type[Employee]

    def team(self, index: int) -> Team:
        """A view of one team."""
        return Team(self, index)

    def step(self) -> None:
        """One week: interventions act; employees see their peers, feel, intend, adopt, use and learn; then the
        pilot funnel moves."""
        w, org, p, streams = self.workforce, self.organisation, self.params, self.streams
        self.timeline.apply(Context(w, org, self.pilots, p, streams.interventions, self.week), self.records[-1])
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
        self.records.append(self.record())
        self.running = self.week < self.spec.weeks

    def record(self) -> dict[str, np.ndarray]:
        """This week's figures per firm."""
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
