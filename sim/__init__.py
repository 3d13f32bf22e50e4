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

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import AdoptionModel  # noqa: F401
    from sim.run import RunResult, run  # noqa: F401
    from sim.scenario import load_scenario  # noqa: F401
    from sim.schema import Firm, Levers, Params, Scenario  # noqa: F401

EXPORTS = {
    "AdoptionModel": "sim.model",
    "RunResult": "sim.run",
    "load_scenario": "sim.scenario",
    "Firm": "sim.schema",
    "Levers": "sim.schema",
    "Params": "sim.schema",
    "Scenario": "sim.schema",
}
"""Each name of the API and the module it lives in. They are imported on first use, so that importing a part
of the package (the command line, one experiment module) does not load Mesa and the model with it."""

SUBMODULES = ("plots", "survey", "report", "experiments", "ema", "picture", "classroom")
"""Modules reachable as attributes of `sim` without importing them first (`sim.plots.usage_against_engagement`)."""

__all__ = sorted([*EXPORTS, "run"])


class Package(types.ModuleType):
    """The `sim` package, whose `run` is the function `sim.run.run`, never its module.

    The module `sim.run` shares the function's name; importing that module (as the command line does) sets the
    package's attribute of the same name, which would hide the function. A property on the package's type
    comes before its namespace, and its setter leaves the module to `sys.modules`."""

    @property
    def run(self):  # noqa: D401 - the API's function
        return import_module("sim.run").run

    @run.setter
    def run(self, module: types.ModuleType) -> None:
        pass


sys.modules[__name__].__class__ = Package


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        value = getattr(import_module(EXPORTS[name]), name)
    elif name in SUBMODULES:
        value = import_module(f"sim.{name}")
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *EXPORTS, *SUBMODULES})
