"""Calibration: fit a documented set of free model parameters to the published targets (sim.experiments.targets).

The optimiser is Optuna's TPE sampler. Every trial scores a candidate on the same replicates (common
random numbers: the same seeds, hence the same drawn firms and the same chance events wherever the
candidate does not change them), so differences between trials are differences between parameters, not
luck. Trials are kept in an append-only journal in the output folder (`study.journal`): after an
interruption, even kill -9, the same command picks the study up, marks the trial that was cut off as
failed, and runs trials until `budget` have completed. Finished trials are never run again.

Only model parameters are free. The survey thresholds (`survey:`) are definitions of what the published
figures mean, and the population's distributions are assumptions about the respondents' firms: neither
is fitted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import optuna
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.errors import InputError
from sim.experiments import identifiability
from sim.experiments.execution import worker_pool
from sim.experiments.studies import completed, exclusive, fail_interrupted, make_folder, open_study
from sim.experiments.targets import (
    CALIBRATION_STREAM,
    OBJECTIVE_DEFINITION,
    RESCORING_STREAM,
    TARGETS,
    bands_argument,
    objective,
    rates_table,
    replicate_seeds,
    run_replicates,
    target_rows,
    targets_figure,
)
from sim.files import save_figure, write_text
from sim.output import write_json
from sim.scenario import deep_merge, resolve_scenario_path, scenario_digest, scenario_with
from sim.schema import Scenario

STUDY_FILE = "study.journal"
LOCK_FILE = ".calibration.lock"
STUDY_NAME = "calibration"
RESCORING_FACTOR = 4
"""The `finalists` best trials are re-scored on RESCORING_FACTOR times as many replicates, with seeds no trial
used, and the fit is the finalist that scores best there. Every trial is scored on the same few replicates,
so the search's best objectives flatter their trials twice over: by luck among hundreds of noisy scores (the
winner's curse), and by fitting those replicates' particular firms. Choosing on fresh replicates alone
removes both."""


@dataclass(frozen=True)
class FreeParameter:
    """A model parameter the calibration may move, within a range, and the target it mainly answers to.
    `path` is a dotted scenario path; a number names a position in a list (params.pilots.advance.1)."""

    path: str
    low: float
    high: float
    log: bool
    integer: bool
    why: str


FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("params.adoption.p", 0.0005, 0.01, True, False, "Bass innovation: how many firms reach regular use"),
    FreeParameter("params.adoption.q", 0.01, 0.3, True, False, "Bass imitation: how fast use spreads from the first"),
    FreeParameter(
        "params.engagement.growth", 0.03, 0.6, True, False, "how fast use deepens into engagement: depth, not breadth"
    ),
    FreeParameter(
        "params.pilots.intake", 0.004, 0.1, True, False, "proposals per team: how many firms get past experimenting"
    ),
    FreeParameter(
        "params.pilots.base_readiness", 0.0, 0.9, False, False, "how far pilots move with nobody engaged in the team"
    ),
    FreeParameter(
        "params.pilots.engagement_need", 0.05, 0.8, False, False, "engagement pilots and scaling need: its leverage"
    ),
    FreeParameter("params.pilots.advance.1", 0.005, 0.5, True, False, "POC to pilot: experimenting against piloting"),
    FreeParameter("params.pilots.advance.2", 0.01, 0.6, True, False, "pilot to production: POCs reaching production"),
    FreeParameter("params.pilots.advance.3", 0.005, 0.5, True, False, "production to scaled: piloting against scaling"),
    FreeParameter(
        "params.pilots.production_share", 0.02, 0.5, True, False, "value before scaling: EBIT impact against scaling"
    ),
    FreeParameter("params.pilots.stall", 0.005, 0.4, True, False, "stalling when not ready: POCs scrapped or produced"),
    FreeParameter(
        "params.pilots.abandon_after", 8, 104, False, True, "weeks stalled before abandoning: scrapped against limbo"
    ),
    FreeParameter(
        "params.pilots.size_drag", 0.0, 2.0, False, False, "layers above a pilot: the size gradient, every stage"
    ),
    FreeParameter(
        "params.pilots.scale_integration", 0.0, 0.3, False, False, "integration scaling needs: large firms' scaling"
    ),
    FreeParameter(
        "params.pilots.proposal_elasticity", 0.3, 1.0, False, False, "proposals against head count: the size gradient"
    ),
    FreeParameter(
        "params.usage.fear_of_missing_out", 0.2, 4.0, True, False, "self-protective use: the anxious use ratio"
    ),
    FreeParameter(
        "params.anxiety.exposure", 0.0, 2.0, False, False, "anxiety from one's own use: the anxious use ratio"
    ),
)


@dataclass(frozen=True)
class Settings:
    """What a calibration was asked to do. All but `budget`, `finalists` and `elasticities` decide the trials'
    scores, so a folder's study can be continued only with the same ones."""

    scenario: str
    overrides: tuple[str, ...]
    firms: int
    replicates: int
    seed: int
    budget: int
    finalists: int = 10
    elasticities: bool = False

    def identity(self, scenario: Scenario) -> dict[str, Any]:
        """Everything that makes two calibrations' trials comparable: the resolved scenario, replicates,
        seeds, the free parameters and their ranges, and the targets with their bands."""
        return {
            "scenario_sha256": scenario_digest(scenario),
            "firms": self.firms,
            "replicates": self.replicates,
            "seed": self.seed,
            "free": [asdict(f) for f in FREE_PARAMETERS],
            "targets": [[t.name, t.published, list(t.band)] for t in TARGETS],
        }


@dataclass
class Evaluation:
    """One scored candidate: its free values, the objective and each replicate's rates."""

    values: dict[str, float]
    objective: float
    rates: pd.DataFrame


# --- free values in and out of a scenario ----------------------------------------------------------------


def read_path(data: Any, keys: list[str]) -> Any:
    """The value at a dotted path in plain scenario data (dicts by key, lists by position)."""
    for key in keys:
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def free_values(scenario: Scenario) -> dict[str, float]:
    """The current value of every free parameter in a scenario."""
    data = scenario.model_dump(mode="json")
    return {f.path: read_path(data, f.path.split(".")) for f in FREE_PARAMETERS}


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with free parameters set, validated like a scenario file."""
    return scenario_with(scenario, values, scenario.name)


def calibration_scenario(scenario: Scenario, firms: int, source: str) -> Scenario:
    """The scenario as calibrated: a population, of `firms` firms (few, to keep trials quick)."""
    if scenario.population is None:
        raise InputError(
            f"{source}: field population is empty: calibration fits a population of firms to survey figures. "
            "Give a scenario with a population: block (such as population) or add --set population.firms=100."
        )
    population = scenario.population.model_copy(update={"firms": firms})
    return scenario.model_copy(update={"population": population})


# --- scoring ----------------------------------------------------------------------------------------------


def score_candidate(
    scenario: Scenario, values: dict[str, float], seeds: list[int], pool: Executor | None = None
) -> Evaluation:
    """Score free values on the common replicates (in `pool`, if given)."""
    rates = rates_table(run_replicates(with_values(scenario, values), seeds, pool=pool, employees=False))
    return Evaluation(values, objective(rates), rates)


def suggest(trial: optuna.Trial) -> dict[str, float]:
    """The sampler's next candidate for every free parameter."""
    values = {}
    for f in FREE_PARAMETERS:
        if f.integer:
            values[f.path] = trial.suggest_int(f.path, int(f.low), int(f.high), log=f.log)
        else:
            values[f.path] = trial.suggest_float(f.path, f.low, f.high, log=f.log)
    return values


def record_evaluation(trial: optuna.Trial | optuna.Study, evaluation: Evaluation) -> None:
    """Keep each replicate's rates with the trial (or the study, for the start), for the report."""
    trial.set_user_attr("rates", evaluation.rates.to_dict(orient="list"))


def stored_rates(attrs: dict[str, Any]) -> pd.DataFrame:
    """Replicate rates kept by record_evaluation."""
    return pd.DataFrame(attrs["rates"])


# --- the study --------------------------------------------------------------------------------------------


def sampler(seed: int, done: int) -> optuna.samplers.TPESampler:
    """TPE over the free parameters jointly, seeded from the calibration seed and the trials already done: the
    trials drawn depend on the seed and on the trial each sitting starts from, so the same sittings redraw the
    same trials, while a run interrupted elsewhere draws others after the interruption."""
    startup = 2 * len(FREE_PARAMETERS)
    return optuna.samplers.TPESampler(seed=seed * 100_003 + done, multivariate=True, n_startup_trials=startup)


@dataclass
class TrialProgress:
    """Callbacks for a front end: `started(done, budget)` once, `trial(done, best)` after each trial, and
    `stage(description)` when the trials are done and the finalists (then the elasticities) are scored."""

    started: Callable[[int, int], None] = lambda done, budget: None
    trial: Callable[[int, float], None] = lambda done, best: None
    stage: Callable[[str], None] = lambda description: None


def score_start(study: optuna.Study, scenario: Scenario, seeds: list[int], pool: Executor | None) -> None:
    """Score the input's own values once (the fit's starting point, for comparison), unless already done."""
    if "start_objective" in study.user_attrs:
        return
    evaluation = score_candidate(scenario, free_values(scenario), seeds, pool)
    record_evaluation(study, evaluation)
    study.set_user_attr("start_values", evaluation.values)
    study.set_user_attr("start_objective", evaluation.objective)


def in_ranges(values: dict[str, float]) -> dict[str, float]:
    """The input's values, each brought inside its search range (the first trial of a new study)."""
    bounded = {}
    for f in FREE_PARAMETERS:
        value = min(max(values[f.path], f.low), f.high)
        bounded[f.path] = int(round(value)) if f.integer else float(value)
    return bounded


def optimise(
    study: optuna.Study, scenario: Scenario, settings: Settings, progress: TrialProgress, pool: Executor | None
) -> None:
    """Run trials until `budget` have completed."""
    seeds = replicate_seeds(settings.seed, settings.replicates, CALIBRATION_STREAM)
    done = len(completed(study))
    progress.started(done, settings.budget)
    score_start(study, scenario, seeds, pool)
    if done >= settings.budget:
        return
    study.sampler = sampler(settings.seed, done)
    if not study.trials:
        study.enqueue_trial(in_ranges(free_values(scenario)))

    def trial_objective(trial: optuna.Trial) -> float:
        evaluation = score_candidate(scenario, suggest(trial), seeds, pool)
        record_evaluation(trial, evaluation)
        return evaluation.objective

    def after_trial(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
        progress.trial(len(completed(study)), study.best_value)

    stop = optuna.study.MaxTrialsCallback(settings.budget, states=(optuna.trial.TrialState.COMPLETE,))
    study.optimize(trial_objective, callbacks=[after_trial, stop])


def finalists(study: optuna.Study, settings: Settings) -> list[optuna.trial.FrozenTrial]:
    """The completed trials with the lowest objectives, `settings.finalists` of them."""
    return sorted(completed(study), key=lambda trial: trial.value)[: settings.finalists]


def rescore_key(trial: optuna.trial.FrozenTrial) -> str:
    """Where a finalist's re-scoring is kept in the study (a finished trial cannot be changed)."""
    return f"finalist_{trial.number}"


def rescoring_seeds(settings: Settings) -> list[int]:
    """The replicates finalists and elasticities are scored on: more than a trial's, and none of theirs."""
    return replicate_seeds(settings.seed, RESCORING_FACTOR * settings.replicates, RESCORING_STREAM)


def score_once(
    study: optuna.Study,
    key: str,
    scenario: Scenario,
    values: dict[str, float],
    seeds: list[int],
    pool: Executor | None,
) -> None:
    """Score values and keep their rates in the study under `key`, unless an earlier run already did."""
    if key not in study.user_attrs:
        study.set_user_attr(key, score_candidate(scenario, values, seeds, pool).rates.to_dict(orient="list"))


def rescore_finalists(study: optuna.Study, scenario: Scenario, settings: Settings, pool: Executor | None) -> None:
    """Score each finalist not yet re-scored on the re-scoring replicates."""
    seeds = rescoring_seeds(settings)
    for trial in finalists(study, settings):
        score_once(study, rescore_key(trial), scenario, trial.params, seeds, pool)


def elasticity_key(trial: optuna.trial.FrozenTrial, parameter: FreeParameter, factor: float) -> str:
    """Where the rates of a trial's values with one parameter moved by `factor` are kept in the study."""
    return f"elasticity_{trial.number}_{parameter.path}_x{factor:g}"


def elasticity_factors() -> tuple[float, float]:
    """The factors a parameter is moved by: down, then up."""
    return (1 / identifiability.ELASTICITY_STEP, identifiability.ELASTICITY_STEP)


def score_elasticities(
    study: optuna.Study,
    scenario: Scenario,
    settings: Settings,
    best: optuna.trial.FrozenTrial,
    pool: Executor | None,
) -> None:
    """Score the chosen trial's values with each free parameter moved down and up, on the re-scoring replicates."""
    seeds = rescoring_seeds(settings)
    for parameter in FREE_PARAMETERS:
        for factor in elasticity_factors():
            values = identifiability.nudged(best.params, parameter, factor)
            score_once(study, elasticity_key(best, parameter, factor), scenario, values, seeds, pool)


def rescored_rates(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> pd.DataFrame:
    """A finalist's rates on the re-scoring replicates."""
    return pd.DataFrame(study.user_attrs[rescore_key(trial)])


def calibrate(
    settings: Settings,
    base: Scenario,
    folder: Path,
    progress: TrialProgress | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> Calibration:
    """Fit the free parameters of `base` (a population scenario) into `folder`, resuming a study found there,
    and write the report, the fitted scenario and the figures. Each trial's replicates run on `workers`
    processes; the scores do not depend on how many."""
    scenario = calibration_scenario(base, settings.firms, settings.scenario)
    make_folder(folder, "calibration")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    processes = min(workers, RESCORING_FACTOR * settings.replicates)
    with (
        exclusive(folder / LOCK_FILE, "calibration"),
        worker_pool(processes, ["sim.experiments.targets"], scheduler) as pool,
    ):
        study = open_study(
            folder / STUDY_FILE,
            STUDY_NAME,
            ["minimize"],
            settings.identity(scenario),
            "the same scenario, --set, --firms, --replicates and --seed",
        )
        interrupted = fail_interrupted(study)
        progress = progress or TrialProgress()
        optimise(study, scenario, settings, progress, pool)
        progress.stage("re-scoring the best trials on fresh replicates")
        rescore_finalists(study, scenario, settings, pool)
        result = Calibration(settings, base, study, interrupted)
        if settings.elasticities:
            progress.stage("scoring local elasticities at the fit")
            score_elasticities(study, scenario, settings, result.best, pool)
        write_calibration(result, folder)
    return result


# --- the result and its report ----------------------------------------------------------------------------


@dataclass
class Calibration:
    """A finished calibration: its settings, the input scenario and the study holding every trial."""

    settings: Settings
    base: Scenario
    study: optuna.Study
    interrupted: int

    @property
    def start_objective(self) -> float:
        """The objective at the input's own values."""
        return float(self.study.user_attrs["start_objective"])

    @property
    def best(self) -> optuna.trial.FrozenTrial:
        """The chosen trial: the finalist with the lowest objective on the re-scoring replicates."""
        return min(finalists(self.study, self.settings), key=lambda trial: objective(rescored_rates(self.study, trial)))

    @property
    def best_objective(self) -> float:
        """The chosen trial's objective on the re-scoring replicates."""
        return objective(rescored_rates(self.study, self.best))

    @property
    def fitted(self) -> Scenario:
        """The input scenario (all its firms) with the best trial's values."""
        return with_values(self.base, self.best.params)

    def start_rows(self) -> list[dict]:
        """The fit per target at the input's own values."""
        return target_rows(stored_rates(self.study.user_attrs))

    def best_rows(self) -> list[dict]:
        """The fit per target at the chosen trial, on the re-scoring replicates."""
        return target_rows(rescored_rates(self.study, self.best))

    def finalists_table(self) -> list[dict]:
        """Each finalist's objective in the search and on the re-scoring replicates."""
        return [
            {
                "trial": trial.number,
                "search": trial.value,
                "rescored": objective(rescored_rates(self.study, trial)),
            }
            for trial in finalists(self.study, self.settings)
        ]

    def near_optimal_ranges(self) -> pd.DataFrame:
        """What the search pins down: each free parameter's span over the near-optimal trials."""
        return identifiability.near_optimal_ranges(
            self.trials_table(), self.best.params, self.best.value, FREE_PARAMETERS
        )

    def near_optimal_correlations(self) -> list[dict]:
        """The strongest trade-offs between free parameters among the near-optimal trials."""
        return identifiability.near_optimal_correlations(self.trials_table(), self.best.value, FREE_PARAMETERS)

    def elasticities(self) -> pd.DataFrame | None:
        """The local elasticities at the chosen trial, if they were scored (--elasticities)."""
        keys = {p.path: [elasticity_key(self.best, p, f) for f in elasticity_factors()] for p in FREE_PARAMETERS}
        if not all(key in self.study.user_attrs for pair in keys.values() for key in pair):
            return None
        moves = {path: tuple(pd.DataFrame(self.study.user_attrs[key]) for key in pair) for path, pair in keys.items()}
        return identifiability.elasticity_table(moves)

    def trials_table(self) -> pd.DataFrame:
        """One row per completed trial: number, objective, seconds taken and the free values."""
        rows = [
            {
                "trial": t.number,
                "objective": t.value,
                "seconds": (t.datetime_complete - t.datetime_start).total_seconds(),
                **t.params,
            }
            for t in completed(self.study)
        ]
        return pd.DataFrame(rows)


def fit_table(result: Calibration) -> pd.DataFrame:
    """fit.csv: one row per target with the published value, its band, and the simulated mean (with its
    95% interval) at the start and fitted."""
    rows = []
    for start, best in zip(result.start_rows(), result.best_rows(), strict=True):
        rows.append(
            {
                "name": start["name"],
                "published": start["published"],
                "band_low": start["band"][0],
                "band_high": start["band"][1],
                "start_mean": start["simulated_mean"],
                "start_in_band": start["in_band"],
                "fitted_mean": best["simulated_mean"],
                "fitted_ci_low": best["ci95"][0],
                "fitted_ci_high": best["ci95"][1],
                "fitted_in_band": best["in_band"],
                "fitted_z": best["z"],
            }
        )
    return pd.DataFrame(rows)


def calibration_record(result: Calibration) -> dict[str, Any]:
    """calibration.json: settings, free parameters, evaluations, start and best objective, values, and the
    fit per target."""
    trials = result.trials_table()
    elasticities = result.elasticities()
    return {
        "settings": asdict(result.settings),
        "free_parameters": [asdict(f) for f in FREE_PARAMETERS],
        "objective_definition": OBJECTIVE_DEFINITION,
        "evaluations": len(trials),
        "interrupted_trials_discarded": result.interrupted,
        "evaluation_seconds": float(trials["seconds"].sum()),
        "objective": {
            "start": result.start_objective,
            "lowest_in_search": result.study.best_value,
            "chosen_trial": result.best.number,
            "chosen_in_search": result.best.value,
            "chosen_rescored": result.best_objective,
        },
        "finalists": result.finalists_table(),
        "identifiability": {
            "near_optimal_factor": identifiability.NEAR_OPTIMAL_FACTOR,
            "near_optimal_ranges": result.near_optimal_ranges().to_dict(orient="records"),
            "near_optimal_correlations": result.near_optimal_correlations(),
            "elasticity_step": identifiability.ELASTICITY_STEP,
            "elasticities": None if elasticities is None else elasticities.to_dict(orient="records"),
        },
        "start_values": result.study.user_attrs["start_values"],
        "fitted_values": result.best.params,
        "fit": fit_table(result).to_dict(orient="records"),
        "targets": bands_argument(),
    }


def excerpt(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The nested block of `data` that sets one dotted path, for a file that extends another. A path through
    a list takes the whole list, since a file replaces a list as a whole."""
    value: Any = data
    for depth, key in enumerate(keys):
        if isinstance(value, list):
            return excerpt(data, keys[:depth])
        value = value[key]
    for key in reversed(keys):
        value = {key: value}
    return value


def significant(values: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Values rounded to a few significant digits for a readable file (far finer than the fit can tell)."""
    return {k: v if isinstance(v, int) else float(f"{v:.{digits}g}") for k, v in values.items()}


def command_line(settings: Settings) -> str:
    """The command that reproduces a calibration."""
    sets = "".join(f" --set {o}" for o in settings.overrides)
    return (
        f"adoptsim calibrate {settings.scenario} --firms {settings.firms} --replicates {settings.replicates} "
        f"--seed {settings.seed} --budget {settings.budget} --finalists {settings.finalists}{sets}"
        + (" --elasticities" if settings.elasticities else "")
    )


def fitted_document(result: Calibration, folder: Path) -> str:
    """The fitted scenario file: extends the input and sets the --set overrides and the fitted values
    (not --firms, which only sizes the calibration's population)."""
    data = with_values(result.base, significant(result.best.params)).model_dump(mode="json")
    paths = [o.partition("=")[0].strip() for o in result.settings.overrides] + list(result.best.params)
    body: dict[str, Any] = {}
    for path in paths:
        body = deep_merge(body, excerpt(data, path.split(".")))
    head = {
        "extends": os.path.relpath(resolve_scenario_path(result.settings.scenario).resolve(), folder.resolve()),
        "name": f"{result.base.name}-fitted",
        "description": f"{result.base.name} with its free parameters fitted to the published adoption figures.",
    }
    comment = f"# Fitted by: {command_line(result.settings)}\n# {summary_line(result)}\n"
    return comment + yaml.safe_dump(head | body, sort_keys=False)


def summary_line(result: Calibration) -> str:
    """The fit in one sentence: objective before and after, the chosen trial, the evaluations."""
    return (
        f"Objective {result.start_objective:.3g} at the input's values, {result.best.value:.3g} at trial "
        f"{result.best.number} on the same replicates, {result.best_objective:.3g} on {RESCORING_FACTOR} times as "
        f"many fresh ones (the best of the {result.settings.finalists} best trials re-scored); "
        f"{len(completed(result.study))} evaluations."
    )


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A table as CSV, whole or absent."""
    write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def write_calibration(result: Calibration, folder: Path) -> None:
    """calibration.json, fit.csv, trials.csv, identifiability.csv, fitted.yaml and figures/ (fit per target,
    objective history), with elasticities.csv and its figure when they were scored."""
    write_json(folder / "calibration.json", calibration_record(result))
    write_csv(folder / "fit.csv", fit_table(result))
    write_csv(folder / "trials.csv", result.trials_table())
    write_csv(folder / "identifiability.csv", result.near_optimal_ranges())
    write_text(folder / "fitted.yaml", fitted_document(result, folder))
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    fit = {"fitted (re-scored)": result.best_rows(), "input's values": result.start_rows()}
    save_figure(targets_figure(fit, "Calibration: the fit per target"), figures / "fit.png", dpi=110)
    save_figure(history_figure(result), figures / "history.png", dpi=110)
    elasticities = result.elasticities()
    if elasticities is not None:
        write_csv(folder / "elasticities.csv", elasticities)
        save_figure(identifiability.elasticities_figure(elasticities), figures / "elasticities.png", dpi=110)


def history_figure(result: Calibration) -> Figure:
    """The objective of every trial, the best so far, and the objective at the input's values."""
    trials = result.trials_table()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(trials["trial"], trials["objective"], s=12, color="#9ecae1", label="trial")
    ax.step(trials["trial"], trials["objective"].cummin(), where="post", color="#2171b5", label="best so far")
    ax.axhline(result.start_objective, color="#d94801", ls="--", lw=1, label="input's values")
    ax.axhline(len(TARGETS), color="#238b45", ls=":", lw=1, label="every target at its band's edge")
    ax.set(xlabel="trial", ylabel="objective (log scale)", yscale="log", title="Calibration: objective by trial")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return fig
