"""The engine as it was before its weekly rules were compiled (issue 11), for before-and-after benchmarks.

`use_engine_before()` makes every AdoptionModel built afterwards in this process run the NumPy rules
(`compiled=False`: sim/rules.py and sim/pilots.py as written) and build every employee's Mesa agent with the
model, as the engine did; `use_engine_now()` undoes it. Benchmarks call it in-process, as a worker pool's
initializer, or (for pools they cannot give an initializer) set BEFORE_VARIABLE in a child process's
environment and import this module at the top of their own: the child and the workers its fork server
starts then run the engine as before.
"""

from __future__ import annotations

import os

from sim.model import AdoptionModel

BEFORE_VARIABLE = "ADOPTSIM_BENCHMARK_ENGINE_BEFORE"
_built_as_now = AdoptionModel.__init__


def _built_as_before(self: AdoptionModel, *args, **kwargs) -> None:
    """AdoptionModel.__init__, then every employee's agent, as the engine before issue 11 built them."""
    _built_as_now(self, *args, **kwargs)
    self.make_employees()


def use_engine_before(before: bool = True) -> None:
    """Models built from now on in this process run as the engine did before (or, with False, as now)."""
    AdoptionModel.compiled_default = not before
    AdoptionModel.__init__ = _built_as_before if before else _built_as_now


def use_engine_now() -> None:
    """Models built from now on run as the engine does now."""
    use_engine_before(False)


if os.environ.get(BEFORE_VARIABLE):
    use_engine_before()
