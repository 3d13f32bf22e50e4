"""The best plans within a budget: a multi-objective search over which interventions to make, when to start
them, for how long and how strongly.

A plan file names a base scenario, the candidate interventions (each with a cost model and ranges for its
start week, duration and intensity), the number of replicates and a seed, and optionally an `uncertain:`
block as in a comparison. Optuna's NSGA-II sampler proposes plans: for each candidate whether to use it and
its start, duration and intensity. Every plan runs on the same replicates (the same seeds and, with an
`uncertain:` block, the same worlds), so plans differ by what they do, not by luck. Three objectives: the mean
number of pilots scaled (higher is better), the plan's cost (lower) and the mean share of engaged adopters
(higher). A plan over the budget is infeasible (an Optuna constraint, Trial.set_constraint: NSGA-II ranks
every feasible plan above every infeasible one).

The non-dominated feasible plans (the Pareto front) are re-scored on fresh replicates (the seed plus one:
other seeds and other worlds), together with each candidate alone at its reference settings, so the best
plan can be compared with every single intervention of the same or lower cost, pair by pair. The front is
written as a comparison file (`plans.yaml`) that `adoptsim compare` reruns on exactly those fresh replicates.

Trials are kept in an append-only journal in the output folder (`optimise.journal`): after an interruption,
even kill -9, the same command resumes, marks the trial batch that was cut off as failed and continues until
`trials` have completed; a larger `--trials` continues a finished search.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.errors import InputError
from sim.experiments.compare import base_path, run_outcomes
from sim.experiments.execution import run_seed, worker_pool
from sim.experiments.robust import Uncertain, in_world, parse_uncertain, with_added
from sim.experiments.studies import completed, exclusive, fail_interrupted, make_folder, open_study
from sim.files import write_text
from sim.output import FLOAT_FORMAT, versions, write_json
from sim.scenario import allowed_fields, describe_value_error, load_scenario, read_yaml, scenario_digest
from sim.schema import Intervention, InterventionKind, Scenario, Strict

JOURNAL = "optimise.journal"
LOCK_FILE = ".optimise.lock"
STUDY_NAME = "optimise"
DIRECTIONS = ("maximize", "minimize", "maximize")
OBJECTIVES = ("pilots_scaled", "cost", "engagement_rate")
INTENSITY_STEP = 0.05
"""Intensities are searched on a grid of this step: plans read as 0.8, not 0.7936."""
BATCH = 8
"""Plans proposed and run together (their replicates in parallel); fixed, so results never depend on the
number of workers."""
LABELS = {
    "training": "training",
    "reassurance": "job-security reassurance",
    "safety-programme": "the managers' safety programme",
    "mandate": "a usage mandate",
    "sponsorship": "executive sponsorship",
    "infrastructure": "the data platform",
    "consolidation": "platform consolidation",
    "centre-of-excellence": "a centre of excellence",
    "champions": "the champions network",
}


# --- the plan file ----------------------------------------------------------------------------------------


class CostModel(Strict):
    """What a candidate costs: `per_week` for each week it acts at intensity 1, plus a one-off `fixed` at
    intensity 1; both scale with the intensity chosen."""

    per_week: float = Field(0.0, ge=0, le=1e8, description="Cost per week it acts, at intensity 1")
    fixed: float = Field(0.0, ge=0, le=1e9, description="One-off cost at intensity 1")


class Candidate(Strict):
    """An intervention the search may use: its kind, cost model and the ranges searched."""

    kind: InterventionKind = Field(description="What is done (as in a scenario's interventions)")
    name: str = Field("", description="Label in plans and outputs; defaults to the kind")
    cost: CostModel = Field(description="Cost model: per_week and/or fixed, at intensity 1")
    start: tuple[int, int] = Field((1, 26), description="Earliest and latest start week searched")
    duration: tuple[int, int] | None = Field(
        None, description="Shortest and longest duration in weeks searched; empty: it acts to the horizon"
    )
    intensity: tuple[float, float] = Field((0.2, 1.0), description="Lowest and highest intensity searched (0 to 1)")
    reference: dict[str, float] = Field(
        default_factory=dict,
        description="The candidate alone, as a single-intervention arm: start, duration, intensity (defaults: the "
        "earliest start, the longest duration, intensity 0.8 within the range)",
    )

    @field_validator("start", "duration")
    @classmethod
    def weeks_in_order(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        """Ranges run from low to high, in weeks 1 to 1040."""
        if value is not None and not 1 <= value[0] <= value[1] <= 1040:
            raise ValueError(f"give [low, high] weeks with 1 <= low <= high <= 1040, not {list(value)}")
        return value

    @field_validator("intensity")
    @classmethod
    def intensity_in_order(cls, value: tuple[float, float]) -> tuple[float, float]:
        """Intensities run from low to high within 0 to 1."""
        if not 0 <= value[0] <= value[1] <= 1:
            raise ValueError(f"give [low, high] with 0 <= low <= high <= 1, not {list(value)}")
        return value

    @field_validator("reference")
    @classmethod
    def reference_fields(cls, value: dict[str, float]) -> dict[str, float]:
        """A reference names start, duration and intensity only."""
        unknown = sorted(set(value) - {"start", "duration", "intensity"})
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; allowed: start, duration, intensity")
        return value

    @property
    def label(self) -> str:
        """The name, or the kind when unnamed."""
        return self.name or self.kind


class PlanFile(Strict):
    """An optimisation plan: the base scenario, the candidates, the budget and how plans are scored."""

    name: str = Field("plan", min_length=1, description="Plan name, used in outputs")
    description: str = Field("", description="The question the search answers")
    base: str = Field(min_length=1, description="The base scenario: a file relative to the plan, or a shipped name")
    candidates: list[Candidate] = Field(min_length=1, max_length=12, description="Interventions the search may use")
    budget: float | None = Field(None, gt=0, le=1e10, description="Most a plan may cost (--budget overrides)")
    trials: int = Field(240, ge=1, le=100_000, description="Plans to score in the search (--trials overrides)")
    population: int = Field(24, ge=4, le=1000, description="NSGA-II's population size")
    replicates: int = Field(8, ge=1, le=1000, description="Replicates per plan in the search (the same for all)")
    rescore_replicates: int = Field(
        24, ge=2, le=10_000, description="Fresh replicates the front and the single interventions are re-scored on"
    )
    seed: int = Field(0, ge=0, le=2**31, description="Root seed; fresh replicates use seed + 1")
    uncertain: dict[str, Any] | None = Field(None, description="Uncertain inputs, as in a comparison file")

    @model_validator(mode="after")
    def distinct_labels(self) -> PlanFile:
        """Candidates are told apart by their labels."""
        labels = [c.label for c in self.candidates]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"candidates need distinct names (give name:); repeated: {', '.join(repeated)}")
        return self


@dataclass(frozen=True)
class Problem:
    """A plan file ready to search: the file, its settings, the base scenario, the budget and uncertainty."""

    path: Path
    spec: PlanFile
    base: Scenario
    base_file: Path
    budget: float
    uncertain: Uncertain | None

    def seeds(self, fresh: bool = False) -> list[int]:
        """The replicate seeds of the search, or of the fresh re-scoring (the seed plus one)."""
        seed, n = self.stream(fresh)
        return [run_seed(seed, r) for r in range(n)]

    def stream(self, fresh: bool) -> tuple[int, int]:
        """The comparison seed and replicate count of the search or of the fresh re-scoring."""
        if fresh:
            return self.spec.seed + 1, self.spec.rescore_replicates
        return self.spec.seed, self.spec.replicates

    def worlds(self, fresh: bool = False) -> list[Scenario]:
        """The base scenario in each replicate's world."""
        seed, n = self.stream(fresh)
        if self.uncertain is None:
            return [self.base] * n
        return [in_world(self.base, world) for world in self.uncertain.worlds(seed, n)]

    def identity(self) -> dict[str, Any]:
        """What makes two searches' trials comparable: a folder's study continues only with the same."""
        spec = self.spec.model_dump(mode="json", exclude={"trials", "rescore_replicates", "name", "description"})
        return {"base_sha256": scenario_digest(self.base), "plan": spec, "budget": self.budget}


def load_plan(path: str | Path, budget: float | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Problem:
    """Read and check a plan file and its base scenario; `budget` replaces the file's."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such plan file. Give the path to a plan YAML file.")
    data = read_yaml(path, "a plan file")
    data.setdefault("name", path.stem)
    try:
        spec = PlanFile.model_validate(data)
    except ValidationError as exc:
        raise InputError("\n".join(describe_error(error, path) for error in exc.errors())) from None
    base_file = base_path(spec.base, path)
    base = load_scenario(base_file, overrides)
    chosen = budget if budget is not None else spec.budget
    if chosen is None:
        raise InputError(f"{path}: field budget is missing: give budget: in the file or --budget on the command line.")
    if not (math.isfinite(chosen) and chosen > 0):
        raise InputError(f"--budget {chosen}: is not allowed: it must be a positive amount.")
    for i, candidate in enumerate(spec.candidates):
        check_candidate(candidate, i, base, path)
    return Problem(path, spec, base, base_file, float(chosen), parse_uncertain(spec.uncertain, path, base))


def describe_error(error: dict, path: Path) -> str:
    """One problem in a plan file: the file, the field path, the value given and what is allowed."""
    loc = [str(part) for part in error["loc"]]
    blocks = {"candidates": Candidate}
    block, name = (blocks[loc[0]], loc[2]) if loc[0] in blocks and len(loc) > 2 else (PlanFile, loc[0])
    if block is Candidate and len(loc) > 3 and loc[2] == "cost":
        block, name = CostModel, loc[3]
    if error["type"] == "extra_forbidden":
        hint = allowed_fields(".".join(loc[:-1]), loc[-1], list(block.model_fields))
        return f"{path}: unknown field {'.'.join(loc)!r}. {hint}"
    return describe_value_error(str(path), ".".join(loc), error, block.model_fields.get(name))


def check_candidate(candidate: Candidate, i: int, base: Scenario, path: Path) -> None:
    """Start weeks must fall within the horizon, and the reference within the ranges."""
    if candidate.start[1] > base.weeks:
        raise InputError(
            f"{path}: field candidates.{i}.start = {list(candidate.start)} is not allowed: the latest start must be "
            f"within the base scenario's horizon (weeks 1 to {base.weeks})."
        )
    ranges = {"start": candidate.start, "duration": candidate.duration, "intensity": candidate.intensity}
    for key, value in candidate.reference.items():
        span = ranges[key]
        if span is None or not span[0] <= value <= span[1]:
            allowed = "none: the candidate acts to the horizon" if span is None else f"{span[0]} to {span[1]}"
            raise InputError(
                f"{path}: field candidates.{i}.reference.{key} = {value} is not allowed: it must lie in the "
                f"searched range ({allowed})."
            )


# --- plans ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One intervention of a plan."""

    candidate: int
    start: int
    duration: int | None
    intensity: float


def active_weeks(problem: Problem, step: Step) -> int:
    """Weeks an intervention acts within the horizon."""
    left = problem.base.weeks - step.start + 1
    return left if step.duration is None else min(step.duration, left)


def step_cost(problem: Problem, step: Step) -> float:
    """What one step costs under its candidate's cost model."""
    model = problem.spec.candidates[step.candidate].cost
    return step.intensity * (model.per_week * active_weeks(problem, step) + model.fixed)


def plan_cost(problem: Problem, steps: list[Step]) -> float:
    """What a plan costs in all."""
    return float(sum(step_cost(problem, step) for step in steps))


def interventions(problem: Problem, steps: list[Step]) -> list[Intervention]:
    """A plan's interventions, each carrying its cost (spread by the model over the weeks it acts). A duration
    past the horizon is cut to it, so the cost written is the cost spent."""
    made = []
    for step in steps:
        candidate = problem.spec.candidates[step.candidate]
        duration = None if step.duration is None else active_weeks(problem, step)
        made.append(
            Intervention(
                kind=candidate.kind,
                name=candidate.label,
                start=step.start,
                duration=duration,
                intensity=step.intensity,
                cost=round(step_cost(problem, step), 2),
            )
        )
    return made


def params_to_steps(problem: Problem, params: dict[str, Any]) -> list[Step]:
    """The steps an Optuna trial's parameters describe, in order of start week (then candidate)."""
    steps = []
    for i, candidate in enumerate(problem.spec.candidates):
        if params[f"{i}.use"]:
            duration = params[f"{i}.duration"] if candidate.duration is not None else None
            steps.append(Step(i, int(params[f"{i}.start"]), duration, round(float(params[f"{i}.intensity"]), 4)))
    return sorted(steps, key=lambda s: (s.start, s.candidate))


def reference_steps(problem: Problem, i: int) -> list[Step]:
    """Candidate i alone at its reference settings."""
    candidate = problem.spec.candidates[i]
    ref = candidate.reference
    duration = None
    if candidate.duration is not None:
        duration = int(ref.get("duration", candidate.duration[1]))
    intensity = float(ref.get("intensity", min(max(0.8, candidate.intensity[0]), candidate.intensity[1])))
    return [Step(i, int(ref.get("start", candidate.start[0])), duration, intensity)]


def plan_key(steps: list[Step]) -> str:
    """A short stable name for a plan's content."""
    text = json.dumps([[s.candidate, s.start, s.duration, s.intensity] for s in steps])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def money(value: float) -> str:
    """An amount as every output writes amounts (sim.value.amount_text): 4.2M, 350k."""
    from sim.value import amount_text

    return amount_text(value)


def in_words(problem: Problem, steps: list[Step]) -> str:
    """A plan as a sentence: "start the data platform in week 5 at intensity 0.8, then ..."."""
    if not steps:
        return "do nothing beyond the base scenario (cost 0)"
    parts = []
    for k, step in enumerate(steps):
        candidate = problem.spec.candidates[step.candidate]
        what = candidate.name or LABELS[candidate.kind]
        length = (
            "to the end of the horizon"
            if step.duration is None or active_weeks(problem, step) < step.duration
            else f"for {step.duration} weeks"
        )
        verb = "start" if k == 0 else "then" if steps[k - 1].start < step.start else "and at the same time"
        lead = f"{verb} {what}" if verb == "start" else f"{verb} {what}"
        parts.append(
            f"{lead} in week {step.start} at intensity {step.intensity:g}, {length} ({money(step_cost(problem, step))})"
        )
    return "; ".join(parts) + f"; {money(plan_cost(problem, steps))} in all"


# --- scoring ----------------------------------------------------------------------------------------------


@dataclass
class Scores:
    """A plan's per-replicate figures."""

    pilots_scaled: list[float]
    engagement_rate: list[float]
    intervention_cost: list[float]

    def mean(self, metric: str) -> float:
        """A figure's mean over replicates."""
        return float(np.mean(getattr(self, metric)))


@dataclass
class Replicates:
    """The seeds and worlds (the base scenario in each replicate's world) every plan is scored on."""

    seeds: list[int]
    worlds: list[Scenario]


def replicates(problem: Problem, fresh: bool) -> Replicates:
    """The search's replicates, or the fresh ones."""
    return Replicates(problem.seeds(fresh), problem.worlds(fresh))


def score_plans(
    problem: Problem,
    plans: list[list[Step]],
    reps: Replicates,
    pool: Executor | None,
    on_run: Callable[[], None] | None = None,
) -> list[Scores]:
    """Run every plan on the given replicates: the same seeds and worlds for all."""
    seeds, worlds = reps.seeds, reps.worlds
    tasks = []
    for steps in plans:
        added = interventions(problem, steps)
        tasks += [
            (with_added(world, added, problem.base.name), seed) for world, seed in zip(worlds, seeds, strict=True)
        ]
    outcomes = run_outcomes(tasks, 1, on_run, pool)
    n = len(seeds)
    scores = []
    for k in range(len(plans)):
        chunk = outcomes[k * n : (k + 1) * n]
        scores.append(
            Scores(
                [o.figures["pilots_scaled"] for o in chunk],
                [o.figures["engagement_rate"] for o in chunk],
                [o.figures["intervention_cost"] for o in chunk],
            )
        )
    return scores


# --- the study --------------------------------------------------------------------------------------------


def sampler(problem: Problem, done: int) -> optuna.samplers.NSGAIISampler:
    """NSGA-II seeded from the plan's seed and the trials already done (as calibrate reseeds TPE)."""
    return optuna.samplers.NSGAIISampler(
        population_size=problem.spec.population, seed=problem.spec.seed * 100_003 + done
    )


def suggest(trial: optuna.Trial, problem: Problem) -> dict[str, Any]:
    """Every candidate's use, start, duration and intensity (all suggested always, so NSGA-II's crossover
    sees one fixed search space; unused candidates' values are ignored)."""
    for i, c in enumerate(problem.spec.candidates):
        trial.suggest_categorical(f"{i}.use", [False, True])
        trial.suggest_int(f"{i}.start", c.start[0], c.start[1])
        if c.duration is not None:
            trial.suggest_int(f"{i}.duration", c.duration[0], c.duration[1])
        low, high = c.intensity
        if high - low >= INTENSITY_STEP:
            high = low + math.floor((high - low) / INTENSITY_STEP + 1e-9) * INTENSITY_STEP
            trial.suggest_float(f"{i}.intensity", low, round(high, 6), step=INTENSITY_STEP)
        else:
            trial.suggest_float(f"{i}.intensity", low, high)
    return trial.params


@dataclass
class SearchProgress:
    """Callbacks for a front end: `started(done, total)`, `trial(done)` and `stage(description, runs)`;
    `run()` after each simulation of the re-scoring."""

    started: Callable[[int, int], None] = lambda done, total: None
    trial: Callable[[int], None] = lambda done: None
    stage: Callable[[str, int], None] = lambda description, runs: None
    run: Callable[[], None] = lambda: None


def open_search(problem: Problem, folder: Path) -> optuna.Study:
    """The folder's search (sim.experiments.studies), created or reopened with the plan's identity."""
    identity = json.loads(json.dumps(problem.identity()))
    same = "the same plan file, --budget and --set"
    return open_study(folder / JOURNAL, STUDY_NAME, list(DIRECTIONS), identity, same)


def search(study: optuna.Study, problem: Problem, trials: int, pool: Executor | None, progress: SearchProgress) -> None:
    """Propose and score plans in batches until `trials` have completed."""
    reps = replicates(problem, fresh=False)
    done = len(completed(study))
    progress.started(done, trials)
    study.sampler = sampler(problem, done)
    while done < trials:
        batch = [study.ask() for _ in range(min(BATCH, trials - done))]
        plans = [params_to_steps(problem, suggest(trial, problem)) for trial in batch]
        scores = score_plans(problem, plans, reps, pool)
        for trial, steps, score in zip(batch, plans, scores, strict=True):
            cost = plan_cost(problem, steps)
            trial.set_user_attr("cost", cost)
            trial.set_user_attr("over_budget", cost - problem.budget)
            trial.set_constraint("over_budget", cost - problem.budget)  # feasible at zero or below
            trial.set_user_attr("plan", [[s.candidate, s.start, s.duration, s.intensity] for s in steps])
            study.tell(trial, [score.mean("pilots_scaled"), cost, score.mean("engagement_rate")])
            done += 1
            progress.trial(done)


def stored_steps(trial: optuna.trial.FrozenTrial) -> list[Step]:
    """The plan a trial scored."""
    return [Step(*entry) for entry in trial.user_attrs["plan"]]


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether objectives `a` are at least as good as `b` in all (maximise, minimise, maximise) and better in one."""
    signs = (1, -1, 1)
    at_least = all(s * x >= s * y for s, x, y in zip(signs, a, b, strict=True))
    return at_least and any(s * x > s * y for s, x, y in zip(signs, a, b, strict=True))


def pareto_front(points: list[tuple[float, ...]]) -> list[int]:
    """Indices of the non-dominated points (the first of identical points only)."""
    front = []
    for i, p in enumerate(points):
        if any(dominates(q, p) for q in points):
            continue
        if any(points[j] == p for j in front):
            continue
        front.append(i)
    return front


def front_trials(study: optuna.Study, problem: Problem) -> list[optuna.trial.FrozenTrial]:
    """The feasible trials no other feasible trial dominates (one per distinct plan), by cost."""
    feasible = [t for t in completed(study) if t.user_attrs["over_budget"] <= 0]
    distinct: dict[str, optuna.trial.FrozenTrial] = {}
    for trial in feasible:
        distinct.setdefault(plan_key(stored_steps(trial)), trial)
    trials = list(distinct.values())
    front = [trials[i] for i in pareto_front([tuple(t.values) for t in trials])]
    return sorted(front, key=lambda t: (t.values[1], -t.values[0], t.number))


def rescore(
    study: optuna.Study, problem: Problem, plans: list[list[Step]], pool: Executor | None, progress: SearchProgress
) -> list[Scores]:
    """Fresh-replicate scores of the plans, kept in the study so a rerun does not run them again."""
    _, n = problem.stream(fresh=True)
    keys = [f"fresh_{n}_{plan_key(steps)}" for steps in plans]
    missing = [k for k, key in enumerate(keys) if key not in study.user_attrs]
    unique = list(dict.fromkeys(keys[k] for k in missing))
    todo = [plans[keys.index(key)] for key in unique]
    progress.stage("re-scoring the front on fresh replicates", len(todo) * n)
    reps = replicates(problem, fresh=True) if todo else Replicates([], [])
    for key, scores in zip(unique, score_plans(problem, todo, reps, pool, progress.run), strict=True):
        study.set_user_attr(key, vars(scores))
    return [Scores(**study.user_attrs[key]) for key in keys]


# --- the result -------------------------------------------------------------------------------------------


@dataclass
class Option:
    """A plan on the front or a single intervention, with its search and fresh scores."""

    name: str
    kind: str
    steps: list[Step]
    cost: float
    words: str
    search: tuple[float, float] | None
    fresh: Scores
    trial: int | None = None
    on_fresh_front: bool = False


@dataclass
class Optimisation:
    """A finished search: the problem, the study, the front and the single interventions, re-scored."""

    problem: Problem
    study: optuna.Study
    interrupted: int
    base: Scores
    front: list[Option]
    singles: list[Option]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def best(self) -> Option | None:
        """The front's plan with the most pilots scaled on fresh replicates (ties: the cheaper)."""
        if not self.front:
            return None
        return max(self.front, key=lambda o: (o.fresh.mean("pilots_scaled"), -o.cost))

    def verdict(self) -> list[dict[str, Any]]:
        """The best plan against each single intervention that costs as much or less, pair by pair on the
        fresh replicates: mean difference in pilots scaled, its 95% interval and replicates won."""
        from sim.experiments.compare import paired_interval

        best = self.best()
        if best is None:
            return []
        rows = []
        for single in self.singles:
            if single.cost > best.cost + 1e-6:
                continue
            diffs = np.array(best.fresh.pilots_scaled) - np.array(single.fresh.pilots_scaled)
            low, high = paired_interval(diffs)
            rows.append(
                {
                    "single": single.name,
                    "single_cost": single.cost,
                    "single_pilots_scaled": single.fresh.mean("pilots_scaled"),
                    "best_pilots_scaled": best.fresh.mean("pilots_scaled"),
                    "diff_mean": float(diffs.mean()),
                    "diff_ci_low": low,
                    "diff_ci_high": high,
                    "won": int((diffs > 0).sum()),
                    "replicates": len(diffs),
                }
            )
        return rows

    def closing_note(self) -> str:
        """Whether the best plan beats every single intervention of the same or lower cost, or why not."""
        best = self.best()
        if best is None:
            return "No plan within the budget completed; raise --budget or --trials."
        rows = self.verdict()
        if not rows:
            return (
                f"The best plan ({best.name}: {best.words}) costs less than every single intervention at its "
                "reference settings, so there is none of the same or lower cost to compare it with."
            )
        beaten = [r for r in rows if r["diff_ci_low"] > 0]
        summary = (
            f"The best plan on fresh replicates, {best.name} ({best.words}), scales "
            f"{best.fresh.mean('pilots_scaled'):.1f} pilots on average over {len(best.fresh.pilots_scaled)} fresh "
            "replicates"
        )
        details = "; ".join(
            f"{r['single']} ({money(r['single_cost'])}): {r['single_pilots_scaled']:.1f}, difference "
            f"{r['diff_mean']:+.1f} (95% interval {r['diff_ci_low']:+.1f} to {r['diff_ci_high']:+.1f}, more in "
            f"{r['won']} of {r['replicates']})"
            for r in rows
        )
        if len(beaten) == len(rows):
            return f"{summary}, clearly more than every single intervention of the same or lower cost: {details}."
        losing = ", ".join(r["single"] for r in rows if r["diff_ci_low"] <= 0)
        return (
            f"{summary}; it is not clearly ahead of {losing} (the 95% interval of the paired difference includes "
            f"zero or less): {details}. More trials or replicates may separate them, or the single intervention "
            "at its reference settings may already be as good as anything within the budget."
        )


def run_optimisation(
    problem: Problem,
    folder: Path,
    trials: int | None = None,
    workers: int = 1,
    progress: SearchProgress | None = None,
) -> Optimisation:
    """Search into `folder` (resuming a study found there), re-score the front and the single interventions
    on fresh replicates, and write the results."""
    import time

    progress = progress or SearchProgress()
    trials = trials if trials is not None else problem.spec.trials
    make_folder(folder, "search")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    with exclusive(folder / LOCK_FILE, "optimisation"), worker_pool(workers, ["sim.experiments.compare"]) as pool:
        study = open_search(problem, folder)
        interrupted = fail_interrupted(study)
        search(study, problem, trials, pool, progress)
        front = front_trials(study, problem)
        front_steps = [stored_steps(t) for t in front]
        singles_steps = [reference_steps(problem, i) for i in range(len(problem.spec.candidates))]
        scores = rescore(study, problem, [[], *front_steps, *singles_steps], pool, progress)
        base_scores, front_scores, single_scores = scores[0], scores[1 : 1 + len(front)], scores[1 + len(front) :]
        names = plan_names(front_steps)
        options = [
            Option(
                name,
                "front",
                steps,
                plan_cost(problem, steps),
                in_words(problem, steps),
                (t.values[0], t.values[2]),
                score,
                t.number,
            )
            for name, t, steps, score in zip(names, front, front_steps, front_scores, strict=True)
        ]
        fresh_points = [(o.fresh.mean("pilots_scaled"), o.cost, o.fresh.mean("engagement_rate")) for o in options]
        for i in pareto_front(fresh_points):
            options[i].on_fresh_front = True
        singles = [
            Option(
                f"only {problem.spec.candidates[i].label}",
                "single",
                steps,
                plan_cost(problem, steps),
                in_words(problem, steps),
                None,
                score,
            )
            for i, (steps, score) in enumerate(zip(singles_steps, single_scores, strict=True))
        ]
        result = Optimisation(problem, study, interrupted, base_scores, options, singles)
        result.seconds = time.perf_counter() - started
        write_optimisation(result, folder)
    return result


def plan_names(plans: list[list[Step]]) -> list[str]:
    """ "plan 1", "plan 2", ... in order of cost; the empty plan is "no intervention"."""
    names, k = [], 0
    for steps in plans:
        if steps:
            k += 1
        names.append(f"plan {k}" if steps else "no intervention")
    return names


# --- outputs ----------------------------------------------------------------------------------------------


def option_row(o: Option) -> dict[str, Any]:
    """One option as a row of front.csv."""
    return {
        "option": o.name,
        "kind": o.kind,
        "trial": o.trial,
        "cost": o.cost,
        "search_pilots_scaled": None if o.search is None else o.search[0],
        "search_engagement_rate": None if o.search is None else o.search[1],
        "fresh_pilots_scaled": o.fresh.mean("pilots_scaled"),
        "fresh_engagement_rate": o.fresh.mean("engagement_rate"),
        "fresh_cost_spent": o.fresh.mean("intervention_cost"),
        "on_fresh_front": o.on_fresh_front,
        "plan": o.words,
    }


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """Every completed trial: its objectives, cost over budget and plan."""
    rows = [
        {
            "trial": t.number,
            "pilots_scaled": t.values[0],
            "cost": t.values[1],
            "engagement_rate": t.values[2],
            "feasible": t.user_attrs["over_budget"] <= 0,
            "plan": json.dumps(t.user_attrs["plan"]),
        }
        for t in completed(study)
    ]
    return pd.DataFrame(rows, columns=["trial", *OBJECTIVES, "feasible", "plan"])


def comparison_document(result: Optimisation, folder: Path) -> str:
    """plans.yaml: the front and the single interventions as arms of a comparison on the fresh replicates."""
    problem = result.problem
    seed, n = problem.stream(fresh=True)
    here, there = folder.resolve(), problem.base_file.resolve()
    shared = os.path.commonpath([here, there])
    base = str(there) if shared == os.path.dirname(shared) else os.path.relpath(there, here)
    arms = []
    for option in [*result.front, *result.singles]:
        if not option.steps:
            continue
        arms.append(
            {
                "name": option.name,
                "description": option.words,
                "interventions": [
                    {
                        k: v
                        for k, v in i.model_dump(mode="json").items()
                        if k in ("kind", "name", "start", "duration", "intensity", "cost") and v is not None
                    }
                    for i in interventions(problem, option.steps)
                ],
            }
        )
    document = {
        "name": f"{problem.spec.name}-plans",
        "description": f"The plans on the front of {problem.path.name} within a budget of {money(problem.budget)}, "
        "and each candidate alone, on the fresh replicates they were re-scored on.",
        "base": base,
        "replicates": n,
        "seed": seed,
        **({"uncertain": problem.spec.uncertain} if problem.spec.uncertain else {}),
        "arms": arms,
    }
    header = (
        f"# Written by adoptsim optimise from {problem.path}. `adoptsim compare` on this file reruns the plans on\n"
        "# the same fresh replicates (seed and worlds) they were re-scored on. The base case is the base scenario\n"
        "# with no intervention added.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=110, allow_unicode=True)


def optimisation_record(result: Optimisation) -> dict[str, Any]:
    """Everything the report needs (optimise.json)."""
    problem = result.problem
    trials = completed(result.study)
    best = result.best()
    return {
        "name": problem.spec.name,
        "description": problem.spec.description,
        "plan_file": str(problem.path),
        "base_scenario": problem.base.name,
        "employees": problem.base.firm.employees,
        "weeks": problem.base.weeks,
        "budget": problem.budget,
        "objectives": {"pilots_scaled": "higher", "cost": "lower", "engagement_rate": "higher"},
        "trials": len(trials),
        "feasible_trials": sum(t.user_attrs["over_budget"] <= 0 for t in trials),
        "interrupted_trials_failed": result.interrupted,
        "replicates": problem.spec.replicates,
        "rescore_replicates": problem.spec.rescore_replicates,
        "seed": problem.spec.seed,
        "uncertain": problem.spec.uncertain,
        "base": {
            "pilots_scaled": result.base.mean("pilots_scaled"),
            "engagement_rate": result.base.mean("engagement_rate"),
        },
        "front": [option_row(o) for o in result.front],
        "singles": [option_row(o) for o in result.singles],
        "best": None if best is None else best.name,
        "verdict": result.verdict(),
        "closing_note": result.closing_note(),
    }


def manifest(result: Optimisation, command: list[str] | None = None) -> dict[str, Any]:
    """What produced the search."""
    import sys

    problem = result.problem
    return {
        "command_kind": "optimise",
        "plan": problem.spec.name,
        "file": str(problem.path),
        "file_sha256": hashlib.sha256(problem.path.read_bytes()).hexdigest(),
        "base_scenario_sha256": scenario_digest(problem.base),
        "budget": problem.budget,
        "seed": problem.spec.seed,
        "versions": versions(),
        "command": " ".join(command if command is not None else sys.argv),
    }


def write_optimisation(result: Optimisation, folder: Path) -> None:
    """optimise.json, front.csv, trials.csv, plans.yaml, figures/front.png and manifest.json."""
    from sim.experiments.optimise_figures import save_front_figure

    csv = {"index": False, "float_format": FLOAT_FORMAT, "lineterminator": "\n"}
    write_json(folder / "optimise.json", optimisation_record(result))
    rows = [option_row(o) for o in [*result.front, *result.singles]]
    write_text(folder / "front.csv", pd.DataFrame(rows).to_csv(**csv))
    write_text(folder / "trials.csv", trials_table(result.study).to_csv(**csv))
    write_text(folder / "plans.yaml", comparison_document(result, folder))
    save_front_figure(result, folder / "figures")
    write_json(folder / "manifest.json", manifest(result))
