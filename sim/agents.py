"""Employees as Mesa agents whose attributes read through to the model's arrays, and views of teams and firms.

The rules never loop over agents: they update the arrays in `model.workforce`. Agents give each employee
an identity that AgentSet queries, the app and researchers' own code can use as Mesa users expect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.pilots import KINDS

if TYPE_CHECKING:
    from sim.model import AdoptionModel

EMPLOYEE_STATES = ("non-user", "compliant user", "committed user", "engaged adopter")
"""How an employee looks from outside: see `sim.metrics.employee_states`."""


class WorkforceAttribute:
    """A read-write attribute backed by one array of the model's workforce, at the agent's index."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Employee | None, owner: type | None = None):
        if agent is None:
            return self
        return getattr(agent.model.workforce, self.name)[agent.index].item()

    def __set__(self, agent: Employee, value) -> None:
        getattr(agent.model.workforce, self.name)[agent.index] = value


class Employee(mesa.Agent):
    """One employee: identity here, weekly state in the model's arrays."""

    attitude = WorkforceAttribute()
    anxiety = WorkforceAttribute()
    skill = WorkforceAttribute()
    usage = WorkforceAttribute()
    engagement = WorkforceAttribute()
    adopted = WorkforceAttribute()
    innovativeness = WorkforceAttribute()
    team = WorkforceAttribute()
    firm = WorkforceAttribute()
    manager = WorkforceAttribute()

    def __init__(self, model: AdoptionModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def state(self) -> str:
        """The employee's visible state: non-user, compliant user, committed user or engaged adopter."""
        return EMPLOYEE_STATES[self.model.employee_states()[self.index]]

    @property
    def role(self) -> str:
        """Manager of the team or staff."""
        return "manager" if self.manager else "staff"


class Team:
    """A view of one team: its function, platform, psychological safety and members."""

    def __init__(self, model: AdoptionModel, index: int) -> None:
        self.model = model
        self.index = index

    @property
    def function(self) -> str:
        """front-office or back-office."""
        return KINDS[int(self.model.organisation.team_back_office[self.index])]

    @property
    def safety(self) -> float:
        """Psychological safety, 0 to 1."""
        return float(self.model.organisation.team_safety[self.index])

    @property
    def platform(self) -> int:
        """The AI platform the team builds on (0 is the firm's shared one)."""
        return int(self.model.organisation.team_platform[self.index])

    @property
    def members(self) -> mesa.agent.AgentSet:
        """The team's employees."""
        indices = (self.model.workforce.team == self.index).nonzero()[0]
        return mesa.agent.AgentSet([self.model.employee_list[i] for i in indices], random=self.model.random)
