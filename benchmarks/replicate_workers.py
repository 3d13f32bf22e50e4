"""Calibration and validation with one and two worker processes, side by side: the time to score one trial
(40 firms of the shipped population, 4 replicates, as `adoptsim calibrate` does by default) and the check
that both give the same rates.

The two-worker pool is started, and its fork server has imported the model, before timing starts, as it is
for every trial after the first in a calibration. Repeats alternate one and two workers so that load from
other processes falls on both; the ratio is of the medians. No target is set for it in the design; it is
reported so that a change that slows the pool (more data sent back per replicate, say) shows.

Run from the repository root: python -m benchmarks.replicate_workers [--firms N] [--replicates R] [--repeats K]
"""

from __future__ import annotations

import argparse
import statistics
from time import perf_counter

from sim.experiments.calibrate import calibration_scenario, evaluate, free_values
from sim.experiments.targets import CALIBRATION_STREAM, replicate_pool, replicate_seeds
from sim.scenario import load_scenario


def main() -> None:
    """Time one trial with one and with two workers, alternating, and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=40)
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    scenario = calibration_scenario(load_scenario("population"), options.firms, "population")
    values = free_values(scenario)
    seeds = replicate_seeds(0, options.replicates, CALIBRATION_STREAM)
    times: dict[int, list[float]] = {1: [], 2: []}
    with replicate_pool(2) as pool:
        evaluate(scenario, values, seeds[:1], pool)
        for _ in range(options.repeats):
            rates = {}
            for workers, executor in ((1, None), (2, pool)):
                start = perf_counter()
                rates[workers] = evaluate(scenario, values, seeds, executor).rates
                times[workers].append(perf_counter() - start)
            assert rates[1].equals(rates[2]), "the rates must not depend on the number of workers"
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"one trial: {options.firms} firms x {options.replicates} replicates, median of {options.repeats}")
    print(f"  1 worker : {one:6.2f} s")
    print(f"  2 workers: {two:6.2f} s   ratio {one / two:.2f}")


if __name__ == "__main__":
    main()
