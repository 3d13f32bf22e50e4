"""Comparisons: a base scenario against arms that each add interventions, run with common random numbers.

A comparison file names a base scenario (relative to the comparison file, or a shipped name) and arms;
each arm lists interventions added to the base's, written exactly as in a scenario file. Replicate r of
the base and of every arm runs with the same seed, so each arm's difference to the base is paired: the
random draws that make one replicate luckier than another cancel out, and the interval for the difference
is narrower than with independent seeds. For each arm and metric the table reports both means, the mean
paired difference with a 95% t-interval, the share of replicates in which the arm does better, and what
the arm costs per additional scaled pilot.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator
from scipy import stats

from sim.errors import InputError
from sim.experiments.execution import map_tasks, run_seed
from sim.experiments.robust import Uncertain, in_world, parse_uncertain, with_added
from sim.metrics import firm_totals
from sim.output import FLOAT_FORMAT, versions, write_json
from sim.run import run
from sim.scenario import (
    allowed_fields,
    describe_value_error,
    load_scenario,
    read_yaml,
    relative_or_shipped,
    scenario_digest,
    validate,
)
from sim.schema import Intervention, Scenario, Strict
from sim.terms import smallest_meaningful, term

CONFIDENCE = 0.95
"""Level of the interval reported for each paired difference."""


@dataclass(frozen=True)
class Metric:
    """A headline figure a comparison can report: its meaning, which direction is better, its unit
    ("count", "share", "score", "value" or "money") and the time-series columns that trace it week by week."""

    label: str
    better: Literal[1, -1]
    unit: str
    series: tuple[str, ...] = ()


METRICS: dict[str, Metric] = {
    "pilots_scaled": Metric(term("pilots scaled"), 1, "count", ("scaled",)),
    "pilots_reached_production": Metric(term("pilots that reached production"), 1, "count", ("production", "scaled")),
    "pilots_started": Metric(term("pilots started"), 1, "count"),
    "pilots_abandoned": Metric(term("pilots abandoned"), -1, "count", ("abandoned",)),
    "scaled_back_office": Metric(term("back-office pilots scaled"), 1, "count"),
    "poc_to_production": Metric(term("reaching production") + " (share of pilots started)", 1, "share"),
    "duplicate_pilots": Metric(term("duplicate pilots"), -1, "count"),
    "usage_rate": Metric(term("regular users"), 1, "share", ("usage_rate",)),
    "engagement_rate": Metric(term("engaged adopters"), 1, "share", ("engagement_rate",)),
    "adopted_share": Metric(term("adopters"), 1, "share", ("adopted_share",)),
    "mean_anxiety": Metric(term("mean AI anxiety") + " (0 to 1)", -1, "score", ("mean_anxiety",)),
    "mean_skill": Metric(term("mean AI skill") + " (0 to 1)", 1, "score", ("mean_skill",)),
    "savings": Metric(term("cost savings"), 1, "value", ("savings",)),
    "revenue": Metric(term("revenue added"), 1, "value", ("revenue",)),
    "intervention_cost": Metric(term("intervention cost"), -1, "money", ("intervention_cost",)),
}
"""Every metric a comparison can report, with the one table of directions: for most, higher is better; for
anxiety, duplicates, abandoned pilots and cost, lower is. Usage counts as better when higher because that is
what a dashboard rewards; the comparison shows beside it whether engagement followed."""

MetricName = Literal[tuple(METRICS)]
DEFAULT_METRICS = (
    "pilots_started",
    "pilots_scaled",
    "pilots_reached_production",
    "usage_rate",
    "engagement_rate",
    "mean_anxiety",
    "duplicate_pilots",
    "savings",
    "revenue",
)
TABLE_COLUMNS = (
    "arm",
    "metric",
    "base_mean",
    "arm_mean",
    "diff_mean",
    "diff_ci_low",
    "diff_ci_high",
    "p_better",
    "extra_cost",
    "cost_per_extra_scaled_pilot",
)


class Arm(Strict):
    """One option compared with the base: interventions added to the base scenario's own."""

    name: str = Field(min_length=1, description="Label of the arm in tables, figures and the report")
    description: str = Field("", description="What this option means for the organisation, in a sentence")
    interventions: list[dict[str, Any]] = Field(
        min_length=1,
        description="Interventions added to the base scenario's, each written as in a scenario file's interventions",
    )


class Comparison(Strict):
    """A comparison file: a base scenario, the arms compared with it, and how many paired replicates."""

    name: str = Field("comparison", min_length=1, description="Comparison name, used in outputs")
    description: str = Field("", description="The question this comparison answers")
    base: str = Field(
        min_length=1, description="The base scenario: a file relative to the comparison file, or a shipped name"
    )
    arms: list[Arm] = Field(min_length=1, description="The options compared with the base")
    replicates: int = Field(20, ge=2, le=10_000, description="Replicates per arm (the same seeds for every arm)")
    seed: int = Field(0, ge=0, description="Root seed: replicate r runs with SeedSequence(seed, spawn_key=(r,))")
    metrics: list[MetricName] = Field(
        default_factory=lambda: list(DEFAULT_METRICS), min_length=1, description="Headline figures compared"
    )
    uncertain: dict[str, Any] | None = Field(
        None,
        description="Uncertain inputs: dotted scenario paths, each a range {low, high} or a list of values; each "
        "replicate draws one world, the same in every arm (see sim/experiments/robust.py)",
    )
    rank_by: MetricName = Field(
        "pilots_scaled", description="The metric options are ranked by across uncertain worlds (P(best), regret)"
    )

    @field_validator("arms")
    @classmethod
    def distinct_names(cls, arms: list[Arm]) -> list[Arm]:
        """Arm names label rows and figures, so each must be used once."""
        names = [arm.name for arm in arms]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"arm names must differ; repeated: {', '.join(repeated)}")
        return arms


@dataclass(frozen=True)
class ComparisonPlan:
    """A comparison ready to run: its file and settings, the base scenario and each arm's full scenario."""

    path: Path
    spec: Comparison
    base: Scenario
    arms: dict[str, Scenario]
    uncertain: Uncertain | None = None

    @property
    def worlds(self) -> list[dict[str, Any]]:
        """The uncertain inputs' values drawn for each replicate (empty worlds without an `uncertain:` block)."""
        if self.uncertain is None:
            return [{} for _ in range(self.spec.replicates)]
        return self.uncertain.worlds(self.spec.seed, self.spec.replicates)

    @property
    def seeds(self) -> list[int]:
        """One seed per replicate, shared by the base and every arm."""
        return [run_seed(self.spec.seed, r) for r in range(self.spec.replicates)]

    def added(self, arm: str) -> list[Intervention]:
        """The interventions an arm adds to the base's."""
        return self.arms[arm].interventions[len(self.base.interventions) :]


def load_comparison(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), replicates: int | None = None
) -> ComparisonPlan:
    """Read and validate a comparison file, load its base scenario (with `--set` overrides) and build
    each arm's scenario; `replicates` replaces the file's count."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such comparison file. Give the path to a comparison YAML file.")
    data = read_yaml(path, "a comparison file")
    data.setdefault("name", path.stem)
    if replicates is not None:
        data["replicates"] = replicates
    spec = validate_comparison(data, path)
    base = load_scenario(base_path(spec.base, path), overrides)
    arms = {
        arm.name: arm_scenario(base, arm, f"{path}, arm {arm.name!r} (arms.{i})") for i, arm in enumerate(spec.arms)
    }
    uncertain = parse_uncertain(spec.uncertain, path, base)
    return ComparisonPlan(path=path, spec=spec, base=base, arms=arms, uncertain=uncertain)


def validate_comparison(data: dict[str, Any], path: Path) -> Comparison:
    """Check a comparison file's own fields, in the scenario loader's kind of message."""
    try:
        return Comparison.model_validate(data)
    except ValidationError as exc:
        raise InputError("\n".join(describe_error(error, path) for error in exc.errors())) from None


def describe_error(error: dict, path: Path) -> str:
    """One problem in a comparison file: the file, the field path, the value given and what is allowed."""
    loc = [str(part) for part in error["loc"]]
    block, name = (Arm, loc[2]) if loc[0] == "arms" and len(loc) > 2 else (Comparison, loc[0])
    if error["type"] == "extra_forbidden":
        hint = allowed_fields(".".join(loc[:-1]), name, list(block.model_fields))
        return f"{path}: unknown field {'.'.join(loc)!r}. {hint}"
    return describe_value_error(str(path), ".".join(loc), error, block.model_fields.get(name))


def base_path(base: str, path: Path) -> Path:
    """The base scenario file: relative to the comparison file, or else a shipped scenario's name (the
    resolver a scenario's `extends:` uses too)."""
    return relative_or_shipped(base, path, "base")


def arm_scenario(base: Scenario, arm: Arm, where: str) -> Scenario:
    """The base scenario with an arm's interventions added. The arm's interventions are first validated on
    their own, as a scenario file's would be (schema, horizon, teams), so messages point into the arm."""
    own = validate(base.model_dump() | {"interventions": arm.interventions}, where)
    return base.model_copy(
        update={"name": f"{base.name} + {arm.name}", "interventions": [*base.interventions, *own.interventions]}
    )


@dataclass
class Outcome:
    """What one replicate of one scenario leaves for the comparison: every metric at the end of the run, the
    weekly trace of each metric that has one, and the week each intervention started (None: it never did)."""

    figures: dict[str, float]
    traces: dict[str, np.ndarray]
    starts: list[int | None]


def run_outcome(scenario: Scenario, seed: int) -> Outcome:
    """Run one replicate and keep only what the comparison needs (small enough to send between processes)."""
    result = run(scenario, seed)
    weekly = firm_totals(result.timeseries)
    return Outcome(
        figures={name: float(result.summary[name]) for name in METRICS},
        traces={name: weekly[list(m.series)].sum(axis=1).to_numpy() for name, m in METRICS.items() if m.series},
        starts=[entry["first_week"] for entry in result.summary.get("interventions", [])],
    )


@dataclass
class Results:
    """The outcomes of a comparison: per replicate, the base's and each arm's."""

    seeds: list[int]
    base: list[Outcome]
    arms: dict[str, list[Outcome]]


def run_comparison(plan: ComparisonPlan, workers: int = 1, on_run: Callable[[], None] | None = None) -> Results:
    """Run the base and every arm for each replicate's seed; `on_run()` is called as each run finishes."""
    seeds = plan.seeds
    if plan.uncertain is not None:
        return run_in_worlds(plan, workers, on_run)
    scenarios = [plan.base, *plan.arms.values()]
    outcomes = run_paired_replicates(scenarios, seeds, workers, on_run)
    per_scenario = [outcomes[i * len(seeds) : (i + 1) * len(seeds)] for i in range(len(scenarios))]
    return Results(seeds=seeds, base=per_scenario[0], arms=dict(zip(plan.arms, per_scenario[1:], strict=True)))


def run_in_worlds(plan: ComparisonPlan, workers: int = 1, on_run: Callable[[], None] | None = None) -> Results:
    """Run the base and every arm for each replicate in that replicate's world and with its seed."""
    seeds, worlds = plan.seeds, plan.worlds
    bases = [in_world(plan.base, world) for world in worlds]
    tasks = [(base, seed) for base, seed in zip(bases, seeds, strict=True)]
    for arm in plan.arms:
        added = plan.added(arm)
        name = plan.arms[arm].name
        tasks += [(with_added(base, added, name), seed) for base, seed in zip(bases, seeds, strict=True)]
    outcomes = run_outcomes(tasks, workers, on_run)
    n = len(seeds)
    per_scenario = [outcomes[i * n : (i + 1) * n] for i in range(len(plan.arms) + 1)]
    return Results(seeds=seeds, base=per_scenario[0], arms=dict(zip(plan.arms, per_scenario[1:], strict=True)))


def run_paired_replicates(
    scenarios: list[Scenario], seeds: list[int], workers: int = 1, on_run: Callable[[], None] | None = None
) -> list[Outcome]:
    """Every scenario with every seed, in that order whatever the number of worker processes."""
    return run_outcomes([(scenario, seed) for scenario in scenarios for seed in seeds], workers, on_run)


def run_outcomes(
    tasks: list[tuple[Scenario, int]],
    workers: int = 1,
    on_run: Callable[[], None] | None = None,
    pool: Executor | None = None,
) -> list[Outcome]:
    """`run_outcome` of every (scenario, seed), in task order, through the execution layer (in `pool` if a
    caller keeps one across batches); `on_run()` as each finishes."""
    progress = (lambda index, outcome: on_run()) if on_run is not None else None
    return map_tasks(run_outcome, tasks, workers, progress, pool)


def values(outcomes: list[Outcome], metric: str) -> np.ndarray:
    """One metric across replicates."""
    return np.array([outcome.figures[metric] for outcome in outcomes])


def paired_interval(diffs: np.ndarray, level: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval for the mean of paired differences (a point when every difference is the same)."""
    mean = float(diffs.mean())
    spread = float(diffs.std(ddof=1)) / math.sqrt(len(diffs))
    if spread == 0:
        return mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(diffs) - 1)) * spread
    return mean - half, mean + half


def share_better(metric: str, diffs: np.ndarray) -> float:
    """Share of replicates in which the arm strictly beats the base, in the metric's better direction."""
    return float(np.mean(METRICS[metric].better * diffs > 0))


def cost_per_extra_scaled_pilot(extra_cost: float, extra_scaled: float) -> float:
    """The arm's additional cost divided by its additional scaled pilots (both means over replicates).
    NaN (an empty cell) when the arm scales no more pilots than the base on average: dividing by zero or a
    loss would print an infinite or negative "price" for something the arm does not deliver."""
    return extra_cost / extra_scaled if extra_scaled > 0 else math.nan


def compare_metric(metric: str, base: np.ndarray, arm: np.ndarray) -> dict[str, float | str]:
    """Both means, the mean paired difference with its interval, and the share of replicates won."""
    diffs = arm - base
    low, high = paired_interval(diffs)
    return {
        "metric": metric,
        "base_mean": float(base.mean()),
        "arm_mean": float(arm.mean()),
        "diff_mean": float(diffs.mean()),
        "diff_ci_low": low,
        "diff_ci_high": high,
        "p_better": share_better(metric, diffs),
    }


def arm_costs(base: list[Outcome], arm: list[Outcome]) -> dict[str, float]:
    """What an arm adds in cost (over the base's own interventions) and what that buys in scaled pilots."""
    extra_cost = float(values(arm, "intervention_cost").mean() - values(base, "intervention_cost").mean())
    extra_scaled = float(values(arm, "pilots_scaled").mean() - values(base, "pilots_scaled").mean())
    return {
        "extra_cost": extra_cost,
        "extra_scaled_pilots": extra_scaled,
        "cost_per_extra_scaled_pilot": cost_per_extra_scaled_pilot(extra_cost, extra_scaled),
    }


def comparison_table(plan: ComparisonPlan, results: Results) -> pd.DataFrame:
    """The comparison table: a row per arm and metric."""
    rows = []
    for arm, outcomes in results.arms.items():
        costs = arm_costs(results.base, outcomes)
        for metric in plan.spec.metrics:
            row = compare_metric(metric, values(results.base, metric), values(outcomes, metric))
            rows.append({"arm": arm, **row, **{column: costs[column] for column in TABLE_COLUMNS[-2:]}})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


@dataclass(frozen=True)
class Span:
    """When an intervention acts, for drawing: its label, first week (None: it never started) and last week
    (None: to the horizon)."""

    label: str
    start: int | None
    end: int | None


def intervention_spans(interventions: list[Intervention], outcomes: list[Outcome]) -> list[Span]:
    """Each of a scenario's interventions' span, in order. A triggered one starts in different weeks across
    replicates: the median of the weeks it started is used."""
    spans = []
    for i, intervention in enumerate(interventions):
        started = [o.starts[i] for o in outcomes if o.starts[i] is not None]
        start = int(np.median(started)) if started else None
        spans.append(Span(intervention.label, start, None if start is None else last_week(intervention, start)))
    return spans


def added_spans(plan: ComparisonPlan, arm: str, outcomes: list[Outcome]) -> list[Span]:
    """Spans of the interventions an arm adds (its scenario lists the base's own first)."""
    return intervention_spans(plan.arms[arm].interventions, outcomes)[len(plan.base.interventions) :]


def last_week(intervention: Intervention, start: int) -> int | None:
    """The last week an intervention acts once started, or None when it runs to the horizon."""
    if intervention.duration is not None:
        return start + intervention.duration - 1
    return intervention.end


def replicate_frame(plan: ComparisonPlan, results: Results) -> pd.DataFrame:
    """Every replicate's metrics, a row per arm (the base first) and replicate, for auditing the table."""
    groups = {plan.base.name: results.base, **results.arms}
    rows = [
        {"arm": arm, "replicate": r, "seed": seed, **outcome.figures}
        for arm, outcomes in groups.items()
        for r, (seed, outcome) in enumerate(zip(results.seeds, outcomes, strict=True))
    ]
    return pd.DataFrame(rows)


def comparison_record(plan: ComparisonPlan, results: Results, table: pd.DataFrame) -> dict:
    """Everything the report needs: what was compared, how, and the results (comparison.json)."""
    from sim.experiments.compare_money import money_record  # it builds on this module

    return {
        "name": plan.spec.name,
        "description": plan.spec.description,
        "weeks": plan.base.weeks,
        "replicates": plan.spec.replicates,
        "seed": plan.spec.seed,
        "confidence": CONFIDENCE,
        "base": {
            "scenario": plan.base.name,
            "description": plan.base.description,
            "employees": plan.base.firm.employees,
            "interventions": dump(plan.base.interventions),
            "spans": [vars(span) for span in intervention_spans(plan.base.interventions, results.base)],
        },
        "arms": [arm_record(plan, arm, results) for arm in plan.arms],
        "metrics": {name: metric_record(name) for name in plan.spec.metrics},
        "results": table.replace({np.nan: None}).to_dict(orient="records"),
        "money": money_record(plan, results),
    }


def arm_record(plan: ComparisonPlan, arm: str, results: Results) -> dict:
    """One arm in comparison.json: its description, interventions, when they acted, and its costs."""
    spec = next(a for a in plan.spec.arms if a.name == arm)
    costs = arm_costs(results.base, results.arms[arm])
    return {
        "name": arm,
        "description": spec.description,
        "interventions": dump(plan.added(arm)),
        "spans": [vars(span) for span in added_spans(plan, arm, results.arms[arm])],
        **{key: None if math.isnan(value) else value for key, value in costs.items()},
    }


def metric_record(name: str) -> dict:
    """A metric's meaning, unit, better direction and smallest meaningful difference (sim/terms.py), for
    readers of comparison.json."""
    metric = METRICS[name]
    return {
        "label": metric.label,
        "unit": metric.unit,
        "better": "higher" if metric.better > 0 else "lower",
        "meaningful": smallest_meaningful(metric.unit),
    }


def dump(interventions: list[Intervention]) -> list[dict]:
    """Interventions as plain records, every field given."""
    return [i.model_dump(mode="json") for i in interventions]


def manifest(plan: ComparisonPlan, command: list[str] | None = None) -> dict:
    """What produced a comparison: the file and its hash, the base scenario's hash, seeds, versions, command."""
    return {
        "comparison": plan.spec.name,
        "file": str(plan.path),
        "file_sha256": hashlib.sha256(plan.path.read_bytes()).hexdigest(),
        "base_scenario": plan.base.name,
        "base_scenario_sha256": scenario_digest(plan.base),
        "seed": plan.spec.seed,
        "replicates": plan.spec.replicates,
        "versions": versions(),
        "command": " ".join(command if command is not None else sys.argv),
    }


def write_comparison(
    plan: ComparisonPlan, results: Results, folder: Path, command: list[str] | None = None
) -> pd.DataFrame:
    """Write comparison.csv, comparison.json, replicates.csv, money.csv and manifest.json (figures: see
    sim.experiments.compare_figures); returns the table."""
    from sim.experiments.compare_money import money_frame, with_money  # it builds on this module

    table = comparison_table(plan, results)
    csv_options = {"index": False, "float_format": FLOAT_FORMAT, "lineterminator": "\n"}
    table.to_csv(folder / "comparison.csv", **csv_options)
    with_money(replicate_frame(plan, results), plan, results).to_csv(folder / "replicates.csv", **csv_options)
    record = comparison_record(plan, results, table)
    money_frame(record["money"]).to_csv(folder / "money.csv", **csv_options)
    write_json(folder / "comparison.json", record)
    write_json(folder / "manifest.json", manifest(plan, command))
    return table
