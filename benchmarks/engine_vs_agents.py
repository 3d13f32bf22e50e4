"""Speed of the array engine against an idiomatic per-agent Mesa implementation of the whole model.

Target (DESIGN section 8): for one firm of 1,000 employees over 104 weeks, the engine (sim.model.AdoptionModel)
runs at least 30 times faster than benchmarks.per_agent.PerAgentModel, in which every employee, team, pilot
and the firm is a Mesa agent and a DataCollector records the weekly figures. Both run in this one process, in
alternating repeats (repeat r runs each on seed r, so each pair starts from the same organisation); a run is
timed from building the model to the end of its last week. The ratio is taken between median times. The
engine as it was before its rules were compiled into sim/kernels.py (`compiled=False`: sim/rules.py and
sim/pilots.py; employees' Mesa agents built with the model) runs in the same alternation: the before-and-after
figure.

Two checks make sure the comparison is between the same model:
  * same draws: fed the engine's random draws, the per-agent model ends in the engine's state (every
    employee, team, pilot and firm figure, and every weekly record) to rounding (benchmarks.same_draws);
  * same statistics: on their own random streams, the timed runs' headline figures agree: the mean paired
    difference is within four standard errors.

Run from the repository root: python -m benchmarks.engine_vs_agents [--employees N] [--repeats R]
Exits 1 if the ratio is below the target or a check fails; the figures are printed either way.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from dataclasses import dataclass
from time import perf_counter

from benchmarks.per_agent import PerAgentModel
from benchmarks.same_draws import TOLERANCE, run_on_engine_draws
from sim.kernels import load as load_kernels
from sim.model import AdoptionModel
from sim.scenario import load_scenario
from sim.schema import Scenario

TARGET_RATIO = 30.0
AGREEMENT = (
    "pilots_proposed",
    "pilots_started",
    "pilots_reached_production",
    "pilots_scaled",
    "pilots_abandoned",
    "duplicates_merged",
    "usage_rate",
    "engagement_rate",
    "adopted_share",
    "mean_anxiety",
    "mean_skill",
)
"""Headline figures at the end of a run compared between the two implementations."""
AGREEMENT_ERRORS = 4.0
"""Largest mean paired difference allowed, in standard errors of that mean."""


@dataclass
class Run:
    """One timed run: seconds from building the model to the end of its last week, and its final headline figures."""

    seconds: float
    figures: dict[str, float]


class EngineBefore(AdoptionModel):
    """The engine as before its rules were compiled: its NumPy rules (the specification the kernels implement),
    and every employee's Mesa agent built with the model rather than on first use."""

    compiled_default = False

    def __init__(self, scenario: Scenario, rng: int) -> None:
        super().__init__(scenario, rng=rng)
        self.make_employees()


def timed_run(model_class: type[AdoptionModel] | type[PerAgentModel], scenario: Scenario, seed: int) -> Run:
    """Build a model and run it for the scenario's weeks, timing both; then read its headline figures."""
    start = perf_counter()
    model = model_class(scenario, rng=seed)
    for _ in range(scenario.weeks):
        model.step()
    seconds = perf_counter() - start
    summary = model.summary()
    return Run(seconds, {name: float(summary[name]) for name in AGREEMENT})


def warm_up(scenario: Scenario) -> None:
    """A short untimed run of each implementation, so first-call costs fall outside the timings."""
    short = scenario.model_copy(update={"weeks": 2})
    load_kernels()  # every kernel: two weeks may call only some
    timed_run(AdoptionModel, short, 0)
    timed_run(EngineBefore, short, 0)
    timed_run(PerAgentModel, short, 0)


def alternate(scenario: Scenario, repeats: int) -> tuple[list[Run], list[Run], list[Run]]:
    """Time engine, engine before and per-agent runs in turn, repeat r on seed r for all three."""
    engine, engine_before, agents = [], [], []
    for seed in range(repeats):
        engine.append(timed_run(AdoptionModel, scenario, seed))
        engine_before.append(timed_run(EngineBefore, scenario, seed))
        agents.append(timed_run(PerAgentModel, scenario, seed))
        ratio = agents[-1].seconds / engine[-1].seconds
        print(
            f"  repeat {seed + 1:>2}: engine {engine[-1].seconds:.4f} s, "
            f"before {engine_before[-1].seconds:.4f} s, "
            f"per-agent {agents[-1].seconds:.3f} s ({ratio:.1f}x)"
        )
    return engine, engine_before, agents


def report_speed(engine: list[Run], engine_before: list[Run], agents: list[Run], employees: int, weeks: int) -> float:
    """Print best and median times, time per week and throughput of each; return the ratio of the medians."""
    print(f"\n{'implementation':<22}{'best s':>9}{'median s':>10}{'median ms/week':>16}{'agent-weeks/s':>15}")
    implementations = (("engine", engine), ("engine before", engine_before), ("per-agent Mesa", agents))
    for name, runs in implementations:
        times = [run.seconds for run in runs]
        median = statistics.median(times)
        print(
            f"{name:<22}{min(times):>9.4f}{median:>10.4f}{1000 * median / weeks:>16.3f}"
            f"{employees * weeks / median:>15,.0f}"
        )
    ratio = statistics.median(run.seconds for run in agents) / statistics.median(run.seconds for run in engine)
    best_ratio = min(run.seconds for run in agents) / min(run.seconds for run in engine)
    before = statistics.median(run.seconds for run in agents) / statistics.median(run.seconds for run in engine_before)
    gain = statistics.median(run.seconds for run in engine_before) / statistics.median(run.seconds for run in engine)
    print(f"\nspeed-up of the engine, median/median: {ratio:.1f}x (best/best: {best_ratio:.1f}x)")
    print(f"the engine before: {before:.1f}x; the engine against the engine before: {gain:.1f}x")
    print(f"target (DESIGN, set at 1,000 employees): at least {TARGET_RATIO:.0f}x: {verdict(ratio >= TARGET_RATIO)}")
    return ratio


def report_agreement(engine: list[Run], agents: list[Run]) -> bool:
    """Print each headline figure's mean over the runs side by side, with the mean paired difference and its
    standard error; return whether every difference is within AGREEMENT_ERRORS standard errors."""
    n = len(engine)
    print(f"\nHeadline figures after the last week, mean over {n} seeds (own random streams, paired by seed):")
    print(f"{'figure':<27}{'engine':>10}{'per-agent':>11}{'difference':>12}{'std error':>11}{'in errors':>11}")
    agree = True
    for name in AGREEMENT:
        differences = [b.figures[name] - a.figures[name] for a, b in zip(engine, agents, strict=True)]
        mean = statistics.fmean(differences)
        error = statistics.stdev(differences) / math.sqrt(n)
        within = abs(mean) <= AGREEMENT_ERRORS * error
        agree &= within
        in_errors = f"{mean / error:+.1f}" if error > 0 else "-"
        print(
            f"{name:<27}{statistics.fmean(a.figures[name] for a in engine):>10.3f}"
            f"{statistics.fmean(b.figures[name] for b in agents):>11.3f}{mean:>+12.3f}{error:>11.3f}{in_errors:>11}"
        )
    print(f"agreement within {AGREEMENT_ERRORS:.0f} standard errors: {verdict(agree)}")
    return agree


def report_same_draws(scenario: Scenario, seed: int) -> bool:
    """Run both on the engine's draws and print and judge how far their states end apart."""
    differences = run_on_engine_draws(scenario, seed)
    print(
        f"\nOn the engine's random draws (seed {seed}), after {scenario.weeks} weeks: largest float difference "
        f"{differences.largest:.1e} ({differences.largest_where or 'none'}; tolerance {TOLERANCE:.0e}), "
        f"integer and boolean mismatches: {', '.join(differences.mismatched) or 'none'}: {verdict(differences.same)}"
    )
    return differences.same


def verdict(met: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if met else "FAIL"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000, help="employees in the firm (default 1000)")
    parser.add_argument(
        "--repeats", type=int, default=20, help="alternating timed runs of each, one seed each (default 20, least 2)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 2:
        parser.error("--repeats must be at least 2 (the agreement check needs a spread)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and its checks; 0 if the target is met and the checks pass."""
    args = parse_args(argv)
    scenario = load_scenario("baseline", [f"firm.employees={args.employees}"])
    print(f"One firm of {args.employees:,} employees over {scenario.weeks} weeks, {args.repeats} alternating repeats")
    warm_up(scenario)
    print(f"cores available to this process: {len(os.sched_getaffinity(0))}")
    engine, engine_before, agents = alternate(scenario, args.repeats)
    ratio = report_speed(engine, engine_before, agents, args.employees, scenario.weeks)
    agree = report_agreement(engine, agents)
    same = report_same_draws(scenario, seed=0)
    return 0 if ratio >= TARGET_RATIO and agree and same else 1


if __name__ == "__main__":
    sys.exit(main())
