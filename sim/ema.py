"""adoptsim as an EMA Workbench model: a base scenario plus chosen fields become EMA uncertainties and levers,
and a run's summary figures become outcomes, so that `ema_workbench.perform_experiments`, its evaluators,
samplers, feature scoring and scenario discovery run on adoptsim.

    from ema_workbench import SequentialEvaluator, perform_experiments
    from sim.ema import adoptsim_model

    model = adoptsim_model(
        "baseline",
        uncertainties={"firm.levers.culture": None, "firm.threat": (0.1, 0.7), "firm.industry": None},
        levers={"firm.mandate": {"values": [0.0, 0.5]}},
        outcomes=["pilots_scaled", "engagement_rate"],
        overrides=["firm.employees=300", "weeks=52"],
        replications=3,
    )
    experiments, outcomes = perform_experiments(model, scenarios=100, policies=2,
                                                evaluator=SequentialEvaluator(model))

Each field is named by its dotted path, as in `--set` and experiment files, and is given as

- None: the range (or the categories) the scenario schema allows for it: culture over [0, 1], an industry
  over every industry;
- (lo, hi) or {"range": [lo, hi]}: a range; a whole-number field (firm.employees) becomes an
  IntegerParameter, any other number a RealParameter;
- {"values": [...]}: a CategoricalParameter over these values.

True/false fields become BooleanParameters. In EMA's tables a field's name is its path with dots (and
dashes) as underscores, firm.levers.culture as firm_levers_culture (EMA wants Python identifiers);
`ema_name` gives it and `model.function.paths` maps names back to paths. Every value is set on the base
scenario with the scenario module's own setter and checked like a `--set` (sim.scenario.scenario_with,
over sim.scenario.apply_override), so a range the schema does not allow is refused before anything runs.

Seeds: replicate r of every experiment runs with the seed `SeedSequence(seed, spawn_key=(r,))`, the same for
every experiment (common random numbers: differences between experiments come from the fields, not from
luck). With `replications` above 1 the model is an EMA ReplicatorModel and each outcome is the mean over the
replicates.

In parallel, EMA's MultiprocessingEvaluator runs experiments in worker processes (the model pickles; in a
script, guard the call with `if __name__ == "__main__":`):

    from ema_workbench import MultiprocessingEvaluator

    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=1000)

EMA Workbench takes about two seconds to import and warns that ipyparallel is missing (it is optional and
harmless): `quiet_import` imports it without that warning, and this module imports it only when a model is
made.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, get_args, get_origin

import numpy as np

from sim.errors import InputError
from sim.experiments.design import DEFAULT_OUTCOMES
from sim.experiments.execution import run_seed

IPYPARALLEL_WARNING = r"ipyparallel not installed"
"""The one warning EMA Workbench gives at import on a machine without ipyparallel (its optional cluster
evaluator); it is filtered, nothing else is."""
SEED = "seed"
"""The keyword EMA passes each replicate's seed under."""

FieldSpec = None | tuple[float, float] | Mapping[str, Any]


def quiet_import(name: str = "ema_workbench") -> ModuleType:
    """Import an EMA Workbench module without its warning that ipyparallel is not installed."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=IPYPARALLEL_WARNING, category=UserWarning)
        return importlib.import_module(name)


def ema_name(path: str) -> str:
    """A dotted scenario path as an EMA name (a Python identifier): firm.levers.culture -> firm_levers_culture."""
    name = path.replace(".", "_").replace("-", "_")
    if not name.isidentifier():
        raise InputError(f"field {path}: cannot be named in EMA Workbench ({name!r} is not a Python identifier).")
    return name


@dataclass(frozen=True)
class AdoptsimFunction:
    """What EMA calls for one experiment: the base scenario with the experiment's field values set, run with
    the replicate's seed; returns the chosen summary figures. Self-contained, so it pickles to workers."""

    base: Any
    paths: dict[str, str]
    """EMA name -> dotted scenario path."""
    outcomes: tuple[str, ...]

    def __call__(self, seed: int = 0, **values: Any) -> dict[str, float]:
        """Run one experiment and return its outcomes."""
        from sim.run import run
        from sim.scenario import scenario_with

        settings = {self.paths[name]: plain(value) for name, value in values.items()}
        result = run(scenario_with(self.base, settings, "EMA experiment"), seed=int(seed))
        return {name: float(result.summary[name]) for name in self.outcomes}


def plain(value: Any) -> Any:
    """A value as the scenario takes it: NumPy scalars as Python ones (the setter writes JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def adoptsim_model(
    base: Any = "baseline",
    uncertainties: Mapping[str, FieldSpec] | Iterable[str] | None = None,
    levers: Mapping[str, FieldSpec] | Iterable[str] | None = None,
    outcomes: Iterable[Any] = DEFAULT_OUTCOMES,
    overrides: Iterable[str] = (),
    seed: int = 0,
    replications: int = 1,
    name: str = "adoptsim",
) -> Any:
    """An EMA Workbench model of adoptsim: `base` (a shipped scenario's name, a scenario file or a Scenario),
    with `overrides` (PATH=VALUE, as --set) applied; `uncertainties` and `levers` map dotted fields to their
    ranges (see the module's docstring; a list of paths takes the schema's ranges); `outcomes` are summary
    figures by name (or EMA ScalarOutcome objects named after them). Bad fields, ranges or outcomes raise
    InputError naming them."""
    from sim.experiments.design import coerce
    from sim.scenario import load_scenario
    from sim.schema import Scenario

    ema = quiet_import()
    overrides = list(overrides)
    if isinstance(base, Scenario):
        scenario = load_scenario_from(base, overrides)
    else:
        scenario = load_scenario(base, overrides)
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"replications = {replications!r}: must be a whole number, at least 1.")
    uncertain, lever = as_mapping(uncertainties, "uncertainties"), as_mapping(levers, "levers")
    if not uncertain and not lever:
        raise InputError(
            "uncertainties and levers: give at least one scenario field to vary, such as firm.levers.culture."
        )
    both = sorted(set(uncertain) & set(lever))
    if both:
        raise InputError(f"{', '.join(both)}: a field is either an uncertainty or a lever, not both.")
    paths: dict[str, str] = {}
    for path in [*uncertain, *lever]:
        key = ema_name(path)
        if key in paths or key == SEED:
            raise InputError(f"field {path}: its EMA name {key!r} is taken (by {paths.get(key, 'the seed')}).")
        paths[key] = path
    outcome_objects = make_outcomes(ema, scenario, list(outcomes), replications)
    function = AdoptsimFunction(scenario, paths, tuple(o.name for o in outcome_objects))
    seeds = [run_seed(seed, r) for r in range(replications)]
    if replications == 1:
        model = ema.Model(name, function=function)
        model.constants = [ema.Constant(SEED, seeds[0])]
    else:
        model = ema.ReplicatorModel(name, function=function)
        model.replications = [{SEED: s} for s in seeds]
    model.uncertainties = [parameter(ema, path, spec, scenario, coerce) for path, spec in uncertain.items()]
    model.levers = [parameter(ema, path, spec, scenario, coerce) for path, spec in lever.items()]
    model.outcomes = outcome_objects
    return model


def load_scenario_from(scenario: Any, overrides: list[str]) -> Any:
    """A Scenario object with PATH=VALUE overrides, set as --set sets them (the scenario module's setter)."""
    from sim.scenario import apply_override, validate

    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json")
    for assignment in overrides:
        apply_override(data, assignment, Path("overrides"), f"override {assignment!r}")
    return validate(data, Path("overrides"))


def as_mapping(fields: Mapping[str, FieldSpec] | Iterable[str] | None, what: str) -> dict[str, FieldSpec]:
    """Fields given as a mapping of path -> spec, or as a list of paths (each taking the schema's range)."""
    if fields is None:
        return {}
    if isinstance(fields, str):
        raise InputError(f"{what} = {fields!r}: give a list of dotted paths or a mapping of path -> range.")
    if isinstance(fields, Mapping):
        return dict(fields)
    return dict.fromkeys(fields)


def parameter(ema: ModuleType, path: str, spec: FieldSpec, base: Any, coerce: Any) -> Any:
    """The EMA parameter for one scenario field: its range or categories, from `spec` or from the schema,
    checked by setting each end (or value) on the base scenario."""
    from sim.scenario import check_field_path, field_info, scenario_with

    where = f"field {path}"
    check_field_path(path.split("."), where)
    info = field_info(path.split("."))
    kinds = {info.annotation, *get_args(info.annotation)} if info is not None else set()
    literal = next((k for k in kinds if get_origin(k) is Literal), None)
    name = ema_name(path)
    if spec is None:
        if literal is not None:
            spec = {"values": list(get_args(literal))}
        elif bool in kinds:
            return ema.BooleanParameter(name)
        else:
            spec = {"range": schema_range(info, path)}
    if isinstance(spec, tuple | list) and not isinstance(spec, Mapping):
        spec = {"range": list(spec)}
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in ("range", "values"):
        raise InputError(
            f"{where} = {spec!r}: give None (the schema's range), (lo, hi), {{'range': [lo, hi]}} or "
            "{'values': [...]}."
        )
    if "values" in spec:
        values = [coerce(path, plain(v)) for v in spec["values"]]
        if len(values) < 2:
            raise InputError(f"{where}: values = {values!r}; give at least two values to choose from.")
        for value in values:
            scenario_with(base, {path: value}, where)
        return ema.CategoricalParameter(name, values)
    bounds = list(spec["range"])
    if (
        len(bounds) != 2
        or not all(isinstance(b, int | float) and math.isfinite(b) for b in bounds)
        or bounds[0] >= bounds[1]
    ):
        raise InputError(f"{where}: range = {bounds!r}; give two finite numbers, low then high, such as (0.1, 0.9).")
    low, high = (coerce(path, plain(b)) for b in bounds)
    for value in (low, high):
        scenario_with(base, {path: value}, where)
    if int in kinds and float not in kinds:
        return ema.IntegerParameter(name, int(low), int(high))
    if float not in kinds:
        raise InputError(f"{where}: is not a number; give {{'values': [...]}} to choose among its values.")
    return ema.RealParameter(name, float(low), float(high))


def schema_range(info: Any, path: str) -> list[float]:
    """The bounds the schema puts on a numeric field (ge/gt, le/lt), or a message asking for a range."""
    low = high = None
    for rule in getattr(info, "metadata", []):
        low = getattr(rule, "ge", getattr(rule, "gt", low))
        high = getattr(rule, "le", getattr(rule, "lt", high))
    if low is None or high is None:
        raise InputError(f"field {path}: the schema sets no range for it on both sides; give one, such as (lo, hi).")
    return [low, high]


def make_outcomes(ema: ModuleType, scenario: Any, outcomes: list[Any], replications: int) -> list[Any]:
    """EMA ScalarOutcomes of summary figures (with replicates: their mean), checked against what a run of
    the scenario reports."""
    from sim.experiments.design import is_number, probe_scenario
    from sim.run import run

    if not outcomes:
        raise InputError("outcomes: give at least one summary figure, such as pilots_scaled.")
    probe = run(probe_scenario(scenario), seed=0, weeks=1)
    figures = [k for k, v in probe.summary.items() if is_number(v) and k != SEED]
    made = []
    for outcome in outcomes:
        label = outcome if isinstance(outcome, str) else getattr(outcome, "name", repr(outcome))
        if label not in figures:
            raise InputError(f"outcome {label!r}: not a summary figure of a run. Allowed: {', '.join(figures)}.")
        if isinstance(outcome, str):
            outcome = ema.ScalarOutcome(label, function=np.mean if replications > 1 else None)
        made.append(outcome)
    return made
