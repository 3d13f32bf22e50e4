"""adoptsim: an agent-based simulation of organisational AI adoption, on Mesa.

The Python API, the same one the command line uses:

    import sim
    scenario = sim.load_scenario("baseline", ["firm.levers.culture=0.8"])
    result = sim.run(scenario, seed=1)
    result.summary, result.timeseries, result.pilots      # dict and DataFrames
    sim.plots.usage_against_engagement(result)            # a matplotlib Figure

    model = sim.AdoptionModel(scenario, rng=1)            # or step a model by hand
    model.step()
    model.employees.select(lambda e: e.anxiety > 0.5)     # employees are Mesa agents
"""

from sim.model import AdoptionModel
from sim.run import RunResult, run
from sim.scenario import load_scenario
from sim.schema import Firm, Levers, Params, Scenario

__all__ = ["AdoptionModel", "Firm", "Levers", "Params", "RunResult", "Scenario", "load_scenario", "run"]
