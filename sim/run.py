"""One run as a pure function of (scenario, seed): build the model, step it, collect the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.metrics import employee_frame, pilots_frame, timeseries_frame
from sim.model import AdoptionModel
from sim.schema import Scenario


@dataclass
class RunResult:
    """What one run produced: the weekly time series, the pilot table and the headline summary."""

    scenario: Scenario
    seed: int
    weeks: int
    timeseries: pd.DataFrame
    pilots: pd.DataFrame
    summary: dict
    model: AdoptionModel
    employees: pd.DataFrame | None = None


def run(
    scenario: Scenario,
    seed: int = 0,
    weeks: int | None = None,
    on_week: Callable[[int], None] | None = None,
    employees_every: int | None = None,
) -> RunResult:
    """Run a scenario for its horizon (or `weeks`, which then becomes the horizon) with a seed;
    `on_week(week)` is called after each week. With `employees_every=k` the state of every employee is kept
    every k weeks and at the end (k = 0: at the end only)."""
    if weeks is not None:
        scenario = scenario.model_copy(update={"weeks": weeks})
    model = AdoptionModel(scenario, rng=seed)
    snapshots = []
    for _ in range(scenario.weeks):
        model.step()
        if employees_every and model.week % employees_every == 0 and model.week < scenario.weeks:
            snapshots.append(snapshot_employees(model))
        if on_week is not None:
            on_week(model.week)
    result = collect(model, seed)
    if employees_every is not None:
        result.employees = pd.concat([*snapshots, snapshot_employees(model)], ignore_index=True)
    return result


def snapshot_employees(model: AdoptionModel) -> pd.DataFrame:
    """Every employee's state now."""
    return employee_frame(model.week, model.workforce, [firm.name for firm in model.firms], model.params)


def collect(model: AdoptionModel, seed: int) -> RunResult:
    """Gather a model's records and current state into a RunResult."""
    names = [firm.name for firm in model.firms]
    return RunResult(
        scenario=model.spec,
        seed=seed,
        weeks=model.week,
        timeseries=timeseries_frame(model.records, names),
        pilots=pilots_frame(model.pilots, model.organisation, names, model.week),
        summary=summarise(model, seed),
        model=model,
    )


def summarise(model: AdoptionModel, seed: int) -> dict:
    """The summary: headline figures over all firms, and per firm where there are several."""
    summary = {"scenario": model.spec.name, "seed": seed, "weeks": model.week, **model.summary()}
    if model.spec.interventions:
        summary["interventions"] = model.timeline.report()
    if len(model.firms) > 1:
        summary["firms"] = [{"firm": firm.name, **model.summary([i])} for i, firm in enumerate(model.firms)]
    return summary
