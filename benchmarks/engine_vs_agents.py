"""Speed of the array engine against an idiomatic per-agent Mesa implementation of the same rules.

Target (DESIGN section 8): for one firm of 1,000 employees over 104 weeks, the engine (sim.model.AdoptionModel)
runs at least 30 times faster than benchmarks.per_agent.PerAgentModel. Both run in this one process, in
alternating repeats (repeat r uses seed r for both, so each pair starts from the same state); a run is
timed from building the model to the end of its last week. The ratio is taken between median times.

Two checks make sure the comparison is between the same rules:
  * with the engine's random draws fed to the per-agent model, both end in the same state (to rounding);
  * with their own random streams, the figures the timed runs end with agree within a loose tolerance.

Run from the repository root: python -m benchmarks.engine_vs_agents [--employees N] [--repeats R]
Exits 1 if the ratio is below the target or a check fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass
from time import perf_counter

import numpy as np

from benchmarks.per_agent import EMPLOYEE_STATE, PerAgentModel
from sim.model import AdoptionModel
from sim.scenario import load_scenario
from sim.schema import Scenario

TARGET_RATIO = 30.0
COMPARED = ("adopted_share", "usage_rate", "engagement_rate", "mean_usage", "mean_engagement", "mean_anxiety", "mean_skill")
"""Figures of the final weekly record compared between the two implementations."""
RUN_SPREAD = 0.045
"""Run-to-run standard deviation of the compared figures at 1,000 employees over 104 weeks, at most (usage_rate,
measured over 80 seeds of the engine); larger firms spread less."""
SAME_STATE_TOLERANCE = 1e-9


@dataclass
class Timing:
    """One timed run: seconds from building the model to the end of its last week, and its final figures."""

    seconds: float
    final: dict[str, float]


class EngineDraws:
    """Stands in for `model.random`: hands out a week's uniform draws, one per employee, in employee order."""

    def __init__(self, draws: np.ndarray) -> None:
        self.queue = iter(draws.tolist())

    def random(self) -> float:
        """The next employee's draw."""
        return next(self.queue)


class PerAgentOnEngineDraws(PerAgentModel):
    """The per-agent model drawing from the engine's stream in the engine's order: one uniform per employee
    each week before the pilot funnel's draws. Employees step in index order (`do`), so each gets the
    draw the engine gives the same employee."""

    def step(self) -> None:
        """A week of the per-agent model on the engine's draws."""
        self.random = EngineDraws(self.rng.random(len(self.staff)))
        super().step()


def timed_run(model_class: type, scenario: Scenario, seed: int) -> Timing:
    """Build a model and run it for the scenario's weeks, timing both."""
    start = perf_counter()
    model = model_class(scenario, rng=seed)
    for _ in range(scenario.weeks):
        model.step()
    seconds = perf_counter() - start
    return Timing(seconds, {name: float(model.records[-1][name].mean()) for name in COMPARED})


def warm_up(scenario: Scenario) -> None:
    """A short untimed run of each implementation, so first-call costs fall outside the timings."""
    short = scenario.model_copy(update={"weeks": 2})
    timed_run(AdoptionModel, short, 0)
    timed_run(PerAgentModel, short, 0)


def alternate(scenario: Scenario, repeats: int) -> tuple[list[Timing], list[Timing]]:
    """Time engine and per-agent runs in turn, repeat r on seed r."""
    engine, agents = [], []
    for seed in range(repeats):
        engine.append(timed_run(AdoptionModel, scenario, seed))
        agents.append(timed_run(PerAgentModel, scenario, seed))
        print(f"  repeat {seed + 1}: engine {engine[-1].seconds:.3f} s, per-agent {agents[-1].seconds:.3f} s")
    return engine, agents


def report_speed(engine: list[Timing], agents: list[Timing], agent_weeks: int) -> float:
    """Print best and median times and throughput of each; return the ratio of the medians."""
    print(f"\n{'implementation':<16}{'best s':>10}{'median s':>10}{'agent-weeks/s':>16}")
    for name, runs in (("array engine", engine), ("per-agent Mesa", agents)):
        times = [run.seconds for run in runs]
        median = statistics.median(times)
        print(f"{name:<16}{min(times):>10.3f}{median:>10.3f}{agent_weeks / median:>16,.0f}")
    ratio = statistics.median(run.seconds for run in agents) / statistics.median(run.seconds for run in engine)
    best_ratio = min(run.seconds for run in agents) / min(run.seconds for run in engine)
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"\nspeed-up (median/median): {ratio:.1f}x   (best/best: {best_ratio:.1f}x)   target >= {TARGET_RATIO:.0f}x: {verdict}")
    return ratio


def agreement_tolerance(repeats: int) -> float:
    """Four standard deviations of the difference between two means of `repeats` independent runs."""
    return 4 * RUN_SPREAD * (2 / repeats) ** 0.5


def report_agreement(engine: list[Timing], agents: list[Timing]) -> bool:
    """Print each compared figure's mean over the runs side by side; return whether all agree within tolerance."""
    tolerance = agreement_tolerance(len(engine))
    print(f"\nFinal figures, mean over {len(engine)} runs (separate random streams; tolerance {tolerance:.3f}):")
    print(f"{'figure':<18}{'engine':>10}{'per-agent':>11}{'difference':>12}")
    agree = True
    for name in COMPARED:
        a = statistics.fmean(run.final[name] for run in engine)
        b = statistics.fmean(run.final[name] for run in agents)
        agree &= abs(a - b) <= tolerance
        print(f"{name:<18}{a:>10.3f}{b:>11.3f}{b - a:>+12.3f}")
    print(f"agreement: {'PASS' if agree else 'FAIL'}")
    return agree


def state_difference(scenario: Scenario, seed: int) -> float:
    """Largest difference in any employee's state or any team's safety after the scenario's weeks, when the
    per-agent model runs on the engine's random draws."""
    engine = AdoptionModel(scenario, rng=seed)
    agents = PerAgentOnEngineDraws(scenario, rng=seed)
    for _ in range(scenario.weeks):
        engine.step()
        agents.step()
    arrays = [(getattr(engine.workforce, name), getattr(agents.workforce, name)) for name in EMPLOYEE_STATE]
    arrays.append((engine.organisation.team_safety, agents.organisation.team_safety))
    return max(float(np.abs(a.astype(float) - b.astype(float)).max()) for a, b in arrays)


def report_same_rules(scenario: Scenario) -> bool:
    """Print and judge the state difference when both implementations share the engine's draws."""
    difference = state_difference(scenario, seed=0)
    same = difference <= SAME_STATE_TOLERANCE
    print(f"\nOn the engine's random draws, largest state difference after {scenario.weeks} weeks: {difference:.1e} "
          f"(tolerance {SAME_STATE_TOLERANCE:.0e}): {'PASS' if same else 'FAIL'}")
    return same


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000, help="employees in the firm (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each implementation (default 3)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and its checks; 0 if the target is met and the checks pass."""
    args = parse_args(argv)
    scenario = load_scenario("baseline", [f"firm.employees={args.employees}"])
    print(f"One firm of {args.employees:,} employees over {scenario.weeks} weeks, {args.repeats} alternating repeats per implementation")
    warm_up(scenario)
    engine, agents = alternate(scenario, args.repeats)
    ratio = report_speed(engine, agents, args.employees * scenario.weeks)
    agree = report_agreement(engine, agents)
    same = report_same_rules(scenario)
    return 0 if ratio >= TARGET_RATIO and agree and same else 1


if __name__ == "__main__":
    sys.exit(main())
