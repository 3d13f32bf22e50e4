"""Experiment files: a base scenario, the fields varied (factors), a design, replicates, a seed and outcomes.

An experiment file is checked like a scenario file: unknown fields are errors, every factor's dotted path
must name a scenario field, every value a factor can take must pass the scenario schema, and each message
names the file, the field, the value and what is allowed. A checked experiment becomes a `SweepPlan`: the base
scenario, the design's points (one set of factor values each) and the runs (every point times every
replicate). Run i runs with the seed `SeedSequence(experiment seed, spawn_key=(i,))`, so its result does not
depend on how many workers there are or in which order runs finish.

Designs come from SALib: a full factorial grid, a Latin hypercube, Sobol' (Saltelli's scheme, for Sobol'
indices) and Morris (elementary-effects trajectories). A factor given as a range is sampled within it; a
factor given as a list of values is sampled as an index spread evenly over the list, so a sampling design
picks each value equally often; a factor on a whole-number field is rounded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from SALib.sample import latin, morris, sobol

from sim.errors import InputError
from sim.experiments.execution import run_seed
from sim.metrics import firm_totals
from sim.run import run
from sim.scenario import (
    SCENARIO_DIR,
    allowed_fields,
    block_type,
    check_field_path,
    describe_value_error,
    load_scenario,
    read_yaml,
    relative_or_shipped,
    scenario_with,
    schema_node,
)
from sim.schema import Scenario, Strict

if TYPE_CHECKING:
    import pandas as pd

EXPERIMENT_DIR = SCENARIO_DIR / "experiments"
MAX_RUNS = 1_000_000
"""Most runs one experiment may ask for (points times replicates)."""
RESERVED_COLUMNS = ("run", "replicate", "seed", "error")
"""Columns of the runs table that are not factors or outcomes."""
DEFAULT_OUTCOMES = (
    "pilots_started",
    "pilots_reached_production",
    "pilots_scaled",
    "usage_rate",
    "engagement_rate",
    "mean_anxiety",
)

Scalar = bool | int | float | str


class Factor(Strict):
    """One scenario field the experiment varies: a range [lo, hi] or a list of values."""

    range: tuple[float, float] | None = Field(
        None, description="Lowest and highest value; a grid takes evenly spaced levels, other designs sample within"
    )
    values: list[Scalar | None] | None = Field(
        None, min_length=1, description="The values to try; sampling designs pick each equally often"
    )

    @model_validator(mode="after")
    def one_way(self) -> Factor:
        """A factor is either a range or a list of values, and a range runs from low to high."""
        if (self.range is None) == (self.values is None):
            raise ValueError("give either range: [lo, hi] or values: [...], not both or neither")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"a range must go from low to high; [{self.range[0]}, {self.range[1]}] does not")
        return self


class Grid(Strict):
    """Full factorial: every combination of every factor's values."""

    kind: Literal["grid"] = Field(description="Design kind")
    levels: int = Field(5, ge=2, le=1000, description="Evenly spaced levels taken from each factor given as a range")


class LatinHypercube(Strict):
    """Latin hypercube: each factor's range cut into `samples` strata, one point in each."""

    kind: Literal["lhs"] = Field(description="Design kind")
    samples: int = Field(ge=2, le=MAX_RUNS, description="Points drawn")


class Sobol(Strict):
    """Saltelli's scheme for Sobol' indices: N x (factors + 2) points, N x (2 factors + 2) with second order."""

    kind: Literal["sobol"] = Field(description="Design kind")
    samples: int = Field(ge=2, le=2**20, description="Base sample size N, a power of 2")
    second_order: bool = Field(False, description="Also estimate each pair of factors' interaction (S2)")

    @field_validator("samples")
    @classmethod
    def power_of_two(cls, samples: int) -> int:
        """Sobol' sequences keep their balance only at powers of 2."""
        if samples & (samples - 1):
            raise ValueError(f"must be a power of 2, such as {2 ** round(math.log2(samples))}")
        return samples


class Morris(Strict):
    """Morris elementary effects: `trajectories` x (factors + 1) points on a grid of `levels` per factor."""

    kind: Literal["morris"] = Field(description="Design kind")
    trajectories: int = Field(ge=2, le=100_000, description="Trajectories r, each moving every factor once")
    levels: int = Field(4, ge=2, le=100, description="Grid levels p each factor moves on (an even number is usual)")


Design = Annotated[Grid | LatinHypercube | Sobol | Morris, Field(discriminator="kind")]
DESIGNS: dict[str, type[BaseModel]] = {"grid": Grid, "lhs": LatinHypercube, "sobol": Sobol, "morris": Morris}


class TimeSeries(Strict):
    """Weekly figures kept besides the summary: each column every `every` weeks, as `<column>_w<week>`."""

    every: int = Field(ge=1, le=1040, description="Keep weeks every, 2 x every, ... up to the horizon")
    columns: list[str] = Field(min_length=1, description="Columns of the run's time series (timeseries.csv)")


class Experiment(Strict):
    """An experiment file: what to vary on which base scenario, by which design, how often, and what to keep."""

    name: str = Field("experiment", min_length=1, description="Experiment name, used in outputs")
    description: str = Field("", description="The question this experiment answers")
    base: str = Field(
        min_length=1, description="The base scenario: a file relative to the experiment file, or a shipped name"
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="Base scenario fields fixed for the whole experiment, by dotted path"
    )
    factors: dict[str, Factor] = Field(
        min_length=1, description="Scenario fields varied, by dotted path such as firm.levers.culture"
    )
    design: Design = Field(description="How points are chosen: grid, lhs, sobol or morris")
    replicates: int = Field(1, ge=1, le=100_000, description="Runs of each point, each with its own seed")
    seed: int = Field(0, ge=0, description="Root seed: run i runs with SeedSequence(seed, spawn_key=(i,))")
    outcomes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OUTCOMES),
        min_length=1,
        description="Headline figures kept from each run's summary (summary.json)",
    )
    timeseries: TimeSeries | None = Field(None, description="Weekly figures kept every few weeks")
    heatmap: tuple[str, str] | None = Field(
        None, description="Two factors drawn as a heat map (default: the first two)"
    )

    @field_validator("design", mode="before")
    @classmethod
    def design_by_name(cls, design: Any) -> Any:
        """`design: grid` is short for `design: {kind: grid}`."""
        return {"kind": design} if isinstance(design, str) else design


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment: its index, design point, replicate, seed and factor values."""

    index: int
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]


@dataclass(frozen=True, eq=False)
class SweepPlan:
    """An experiment ready to run: its settings, the base scenario, the design's raw sample matrix (a row per
    point, a column per factor, as SALib drew it) and every run."""

    spec: Experiment
    base: Scenario
    samples: np.ndarray
    runs: list[RunSpec]

    @property
    def factors(self) -> list[str]:
        """The factors' dotted paths, in file order."""
        return list(self.spec.factors)

    @property
    def points(self) -> int:
        """Number of design points."""
        return len(self.samples)

    @property
    def outcome_columns(self) -> list[str]:
        """The outcome columns of the runs table: summary figures, then the time series kept."""
        return [*self.spec.outcomes, *(name for name, _, _ in series_points(self.spec.timeseries, self.base.weeks))]

    @property
    def columns(self) -> list[str]:
        """Every column of the runs table, in order."""
        return ["run", *self.factors, "replicate", "seed", *self.outcome_columns, "error"]

    @cached_property
    def digest(self) -> str:
        """SHA-256 of everything that decides the results: the base scenario, every run's values and seed, and
        the columns kept. A sweep folder holds one experiment; resuming checks this."""
        record = {
            "base": self.base.model_dump(mode="json"),
            "columns": self.columns,
            "runs": [[r.index, r.seed, r.values] for r in self.runs],
        }
        return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def series_points(timeseries: TimeSeries | None, weeks: int) -> list[tuple[str, str, int]]:
    """The weekly figures kept, each column every few weeks up to the horizon: (name in the runs table,
    time-series column, week)."""
    if timeseries is None:
        return []
    return [
        (f"{column}_w{week}", column, week)
        for column in timeseries.columns
        for week in range(timeseries.every, weeks + 1, timeseries.every)
    ]


def load_experiment(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> SweepPlan:
    """Read and check an experiment file, load its base scenario (its `set:` fields, then `--set`
    `overrides`), check factors and outcomes against the scenario, and lay out every run."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no such experiment file. Give the path to an experiment YAML file "
            f"(shipped ones are in {EXPERIMENT_DIR})."
        )
    data = read_yaml(path, "an experiment file")
    data.setdefault("name", path.stem)
    spec = validate_experiment(data, path)
    base = load_base(spec, path, overrides)
    check_factors(spec, base, path)
    check_outcomes(spec, base, path)
    if spec.heatmap is not None:
        check_heatmap(spec, path)
    check_columns(spec, path)
    check_size(spec, path)
    return build_plan(spec, base)


def build_plan(spec: Experiment, base: Scenario) -> SweepPlan:
    """Draw the design and lay out the runs: point p, replicate r is run p x replicates + r."""
    samples = design_samples(spec)
    points = point_values(spec, samples)
    runs = [
        RunSpec(index, p, r, run_seed(spec.seed, index), values)
        for p, values in enumerate(points)
        for r in range(spec.replicates)
        for index in [p * spec.replicates + r]
    ]
    return SweepPlan(spec=spec, base=base, samples=samples, runs=runs)


# --- Checking the file ------------------------------------------------------------------------------------


def validate_experiment(data: dict[str, Any], path: Path) -> Experiment:
    """Check an experiment file's own fields, one plain paragraph per problem."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise InputError("\n".join(describe_error(error, path) for error in exc.errors())) from None


def describe_error(error: dict, path: Path) -> str:
    """One problem in an experiment file: the file, the field path, the value given and what is allowed."""
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc)
    if error["type"] == "extra_forbidden":
        block, _ = locate(loc[:-1])
        hint = allowed_fields(".".join(loc[:-1]), loc[-1], list(block.model_fields))
        return f"{path}: unknown field {field!r}. {hint}"
    _, info = locate(loc)
    return describe_value_error(str(path), field, error, info)


def locate(loc: list[str]) -> tuple[type[BaseModel], FieldInfo | None]:
    """The block an error location ends in, and the last field named along it (keys of mappings, list
    positions and a design's kind are stepped over)."""
    block: type[BaseModel] = Experiment
    info = None
    for part in loc:
        if part in block.model_fields:
            info = block.model_fields[part]
            block = block_type(info.annotation)[0] or block
        elif part in DESIGNS:
            block = DESIGNS[part]
    return block, info


def load_base(spec: Experiment, path: Path, overrides: list[str] | tuple[str, ...]) -> Scenario:
    """The base scenario with the file's `set:` fields, then the command line's `--set` overrides. A problem
    is blamed on what caused it: the base file, an entry of `set:` or a `--set`."""
    base = base_path(spec.base, path)
    fixed = [f"{name}={yaml_text(value)}" for name, value in spec.set.items()]
    sources = [f"{path}: field set.{name}" for name in spec.set] + [f"--set {a!r}" for a in overrides]
    return load_scenario(base, [*fixed, *overrides], sources)


def yaml_text(value: Any) -> str:
    """A value as --set text (JSON is YAML), keeping a non-finite number a number."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return json.dumps(value)


def base_path(base: str, path: Path) -> Path:
    """The base scenario file: relative to the experiment file, else a shipped scenario by name (the one
    resolver of sim.scenario)."""
    return relative_or_shipped(base, path, "base")


def check_factors(spec: Experiment, base: Scenario, path: Path) -> None:
    """Every factor names a scenario field, and every value it can take passes the scenario's schema."""
    for name, factor in spec.factors.items():
        check_field_path(name.split("."), f"{path}: field factors.{name}")
        ends = factor.values if factor.values is not None else factor.range
        for value in ends:
            scenario_with(base, {name: coerce(name, value)}, f"{path}: factor {name}")


def check_outcomes(spec: Experiment, base: Scenario, path: Path) -> None:
    """Outcomes must be numeric summary figures, and time-series columns columns of a run's time series."""
    probe = run(probe_scenario(base), seed=0, weeks=1)
    figures = [k for k, v in probe.summary.items() if is_number(v) and k not in RESERVED_COLUMNS]
    for i, outcome in enumerate(spec.outcomes):
        if outcome not in figures:
            raise InputError(f"{path}: field outcomes.{i} = {outcome!r} is not a summary figure. {choices(figures)}")
    if spec.timeseries is not None:
        check_timeseries(spec.timeseries, firm_totals(probe.timeseries), base.weeks, path)


def check_columns(spec: Experiment, path: Path) -> None:
    """No name may stand for two columns of the runs table (a factor `weeks` and the outcome `weeks`)."""
    columns = ["run", *spec.factors, "replicate", "seed", *spec.outcomes, "error"]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InputError(
            f"{path}: {', '.join(repeated)} would be more than one column of the runs table: "
            "a factor, an outcome and run, replicate, seed and error must all differ."
        )


def probe_scenario(base: Scenario) -> Scenario:
    """The base scenario cut down to show which figures a run reports: one week, and one firm of a population."""
    return scenario_with(base, {"population.firms": 1}) if base.population is not None else base


def check_timeseries(timeseries: TimeSeries, weekly: pd.DataFrame, weeks: int, path: Path) -> None:
    """Time-series columns must be numeric columns of a run's time series, kept at least once."""
    known = [c for c in weekly.columns if c != "firm" and weekly[c].dtype.kind in "if"]
    for i, column in enumerate(timeseries.columns):
        if column not in known:
            raise InputError(
                f"{path}: field timeseries.columns.{i} = {column!r} is not a time-series column. {choices(known)}"
            )
    if timeseries.every > weeks:
        raise InputError(
            f"{path}: field timeseries.every = {timeseries.every} is longer than the horizon ({weeks} weeks): "
            "it must be at most the scenario's weeks."
        )


def check_heatmap(spec: Experiment, path: Path) -> None:
    """A heat map is drawn over two different factors of the experiment."""
    for i, name in enumerate(spec.heatmap):
        if name not in spec.factors:
            raise InputError(f"{path}: field heatmap.{i} = {name!r} is not a factor. {choices(list(spec.factors))}")
    if spec.heatmap[0] == spec.heatmap[1]:
        raise InputError(f"{path}: field heatmap = {list(spec.heatmap)} names one factor twice; give two factors.")


def check_size(spec: Experiment, path: Path) -> None:
    """Refuse designs too large to run, before drawing them."""
    size = design_size(spec) * spec.replicates
    if size > MAX_RUNS:
        raise InputError(
            f"{path}: the design asks for {size:,} runs (points x replicates); at most {MAX_RUNS:,} are allowed. "
            "Use fewer levels, samples or replicates."
        )


def choices(options: list[str]) -> str:
    """The options a user may give, as a sentence."""
    return f"Allowed: {', '.join(options)}."


def is_number(value: Any) -> bool:
    """A figure that fits a numeric column (not a flag, a name or a list)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- Designs ------------------------------------------------------------------------------------------------


def problem(spec: Experiment) -> dict:
    """The factors as SALib describes them: names and bounds (a list of values spans [0, its length))."""
    bounds = [list(f.range) if f.range is not None else [0, len(f.values)] for f in spec.factors.values()]
    return {"num_vars": len(bounds), "names": list(spec.factors), "bounds": bounds}


def lhs_samples(design: LatinHypercube, problem: dict, seed: int) -> np.ndarray:
    """A Latin hypercube of `samples` points."""
    return latin.sample(problem, design.samples, seed=seed)


def sobol_samples(design: Sobol, problem: dict, seed: int) -> np.ndarray:
    """Saltelli's extension of a scrambled Sobol' sequence, in the order SALib's Sobol' analysis expects."""
    return sobol.sample(problem, design.samples, calc_second_order=design.second_order, seed=seed)


def morris_samples(design: Morris, problem: dict, seed: int) -> np.ndarray:
    """Morris trajectories, in the order SALib's Morris analysis expects."""
    return morris.sample(problem, design.trajectories, num_levels=design.levels, seed=seed)


SAMPLERS: dict[str, Callable[[Any, dict, int], np.ndarray]] = {
    "lhs": lhs_samples,
    "sobol": sobol_samples,
    "morris": morris_samples,
}


def design_samples(spec: Experiment) -> np.ndarray:
    """The design's sample matrix: a row per point, a column per factor."""
    if isinstance(spec.design, Grid):
        return np.array(list(itertools.product(*grid_axes(spec))), dtype=float).reshape(-1, len(spec.factors))
    return SAMPLERS[spec.design.kind](spec.design, problem(spec), spec.seed)


def grid_axes(spec: Experiment) -> list[list[float]]:
    """Each factor's levels in a grid: a list's positions (their midpoints), or evenly spaced values over a
    range (rounded to 12 significant digits so 0.7 reads 0.7; whole numbers once each on integer fields)."""
    axes = []
    for name, factor in spec.factors.items():
        if factor.values is not None:
            axes.append([i + 0.5 for i in range(len(factor.values))])
            continue
        levels = [float(f"{x:.12g}") for x in np.linspace(*factor.range, spec.design.levels)]
        axes.append(sorted({round(x) for x in levels}) if number_kind(name) is int else levels)
    return axes


def design_size(spec: Experiment) -> int:
    """Points in the design, counted without drawing it."""
    factors = len(spec.factors)
    design = spec.design
    if isinstance(design, Grid):
        return math.prod(len(axis) for axis in grid_axes(spec))
    if isinstance(design, Sobol):
        return design.samples * (2 * factors + 2 if design.second_order else factors + 2)
    if isinstance(design, Morris):
        return design.trajectories * (factors + 1)
    return design.samples


def point_values(spec: Experiment, samples: np.ndarray) -> list[dict[str, Any]]:
    """Each design point's factor values, as the scenario takes them."""
    names = list(spec.factors)
    return [
        {name: factor_value(name, spec.factors[name], x) for name, x in zip(names, row, strict=True)} for row in samples
    ]


def factor_value(name: str, factor: Factor, x: float) -> Any:
    """A factor's value at a sample: the list entry whose slot [i, i + 1) holds x, or x itself on a range."""
    if factor.values is not None:
        return coerce(name, factor.values[min(int(x), len(factor.values) - 1)])
    return coerce(name, float(x))


def coerce(name: str, value: Any) -> Any:
    """A number as the field's type: rounded on whole-number fields, a float on real-valued ones."""
    kind = number_kind(name)
    if kind is None or not is_number(value):
        return value
    return round(value) if kind is int else float(value)


def number_kind(name: str) -> type | None:
    """int or float when the field at a dotted path holds that kind of number, else None."""
    keys = name.split(".")
    info = schema_node(keys[:-1]).model_fields.get(keys[-1])
    kinds = {info.annotation, *get_args(info.annotation)} if info is not None else set()
    return float if float in kinds else int if int in kinds else None


