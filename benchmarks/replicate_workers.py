"""Calibration and validation with one and two worker processes, side by side, on the engine now and as it
was before its rules were compiled: the time to score one trial (40 firms of the shipped population, 4
replicates, as `adoptsim calibrate` does by default) and the check that both worker counts give the same rates.

The two-worker pools are started, and each of their workers has run a replicate (so its fork server has
imported the model and the worker has loaded the compiled kernels), before timing starts, as it is for every
trial after the first in a calibration. Repeats alternate the four configurations so that load from other
processes falls on all; the ratios are of the medians. "before" is the engine as it was before its rules
were compiled into sim/kernels.py (benchmarks.before: `compiled=False`, sim/rules.py and sim/pilots.py as
written, and every employee's Mesa agent built with the model): the before-and-after figure. The two
engines' rates must agree to rounding.

Target (issue 11): one trial at least 3 times faster now than before.

Run from the repository root: python -m benchmarks.replicate_workers [--firms N] [--replicates R] [--repeats K]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from time import perf_counter

import numpy as np

from benchmarks.before import use_engine_before
from sim.experiments.calibrate import calibration_scenario, free_values, score_candidate
from sim.experiments.execution import worker_pool
from sim.experiments.targets import CALIBRATION_STREAM, replicate_seeds
from sim.scenario import load_scenario

TARGET_GAIN = 3.0


def timed(scenario, values, seeds, executor: Executor | None, before: bool):
    """Seconds for one trial, and its rates."""
    use_engine_before(before)
    try:
        start = perf_counter()
        rates = score_candidate(scenario, values, seeds, executor).rates
        return perf_counter() - start, rates
    finally:
        use_engine_before(False)


def main() -> int:
    """Time one trial in the four configurations, alternating, and print the medians and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=40)
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    scenario = calibration_scenario(load_scenario("population"), options.firms, "population")
    values = free_values(scenario)
    seeds = replicate_seeds(0, options.replicates, CALIBRATION_STREAM)
    configurations = [("now", 1), ("before", 1), ("now", 2), ("before", 2)]
    times: dict[tuple[str, int], list[float]] = {c: [] for c in configurations}
    context = multiprocessing.get_context("forkserver")
    print(f"cores available to this process: {len(os.sched_getaffinity(0))}")
    with (
        worker_pool(2, ["sim.experiments.targets"]) as pool,
        ProcessPoolExecutor(2, mp_context=context, initializer=use_engine_before) as before_pool,
    ):
        score_candidate(scenario, values, seeds[:2], pool)
        score_candidate(scenario, values, seeds[:2], before_pool)
        timed(scenario, values, seeds[:1], None, before=False)
        for _ in range(options.repeats):
            rates = {}
            for engine, workers in configurations:
                executor = None if workers == 1 else pool if engine == "now" else before_pool
                seconds, rates[engine, workers] = timed(scenario, values, seeds, executor, engine == "before")
                times[engine, workers].append(seconds)
            for engine in ("now", "before"):
                assert rates[engine, 1].equals(rates[engine, 2]), "the rates must not depend on the number of workers"
            np.testing.assert_allclose(
                rates["now", 1].to_numpy(float), rates["before", 1].to_numpy(float), rtol=0, atol=1e-9
            )
    median = {c: statistics.median(values) for c, values in times.items()}
    print(f"one trial: {options.firms} firms x {options.replicates} replicates, median of {options.repeats}")
    for engine in ("before", "now"):
        one, two = median[engine, 1], median[engine, 2]
        print(f"  {engine:<12} 1 worker: {one:6.2f} s   2 workers: {two:6.2f} s   ratio {one / two:.2f}")
    gains = [median["before", w] / median["now", w] for w in (1, 2)]
    print(f"  now against before: {gains[0]:.2f}x with 1 worker, {gains[1]:.2f}x with 2")
    met = gains[0] >= TARGET_GAIN
    print(f"  target: a trial at least {TARGET_GAIN:.0f}x faster (1 worker): {'PASS' if met else 'FAIL'}")
    print("  both engines give the same rates (to 1e-9), each whatever the number of workers")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
