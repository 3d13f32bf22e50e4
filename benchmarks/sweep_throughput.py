"""Sweep throughput: runs per second with one and two local workers side by side, and the time for a sweep
of 1,000 runs of the baseline firm (1,000 employees, 104 weeks).

Targets (DESIGN section 8): two workers at least 1.7 times as fast as one; the 1,000-run sweep in minutes
(here: under 10) on 2 cores.

Each measurement is a whole sweep as `adoptsim sweep` runs it (a Latin hypercube over the three levers,
every run's part written, runs.parquet assembled; figures are not drawn) into a fresh temporary folder.
One worker runs in this process; two run in a local process pool, whose fork server is started and has
imported the model before timing starts, as it is after the first sweep in a session. Repeats alternate
one and two workers so that load from other processes falls on both; the ratio is of the medians.

On a shared machine other programs take cores too, and no sweep can be faster than the cores it gets.
Before each repeat the script measures that: how many times as much plain Python work two processes get
done as one (2.0 on two idle cores). It is printed beside the sweep's ratio.

Before and after: by default the whole measurement runs twice, first on the engine now in this process, then
on the engine as it was before its rules were compiled into sim/kernels.py (benchmarks.before: the NumPy
rules, employees' Mesa agents built with every model) in a child process whose workers start from their own
fork server; a table of both closes the output. `--engine now` or `--engine before` runs one of them.

Run from the repository root: python -m benchmarks.sweep_throughput [--runs N] [--repeats R] [--full N]
[--engine both|now|before]. Exits 1 if a target is missed (by the engine now).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from time import perf_counter

import yaml

from benchmarks.before import BEFORE_VARIABLE, use_engine_before
from sim.experiments.design import SweepPlan, load_experiment
from sim.experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parent.parent
MIN_RATIO = 1.7
MAX_FULL_SECONDS = 600.0


def plan_of(runs: int, folder: Path, employees: int = 1000) -> SweepPlan:
    """A Latin hypercube of `runs` points over the three levers of the baseline firm."""
    path = folder / f"throughput-{runs}.yaml"
    levers = ("infrastructure", "alignment", "culture")
    experiment = {
        "base": str(ROOT / "scenarios" / "baseline.yaml"),
        "set": {"firm.employees": employees},
        "factors": {f"firm.levers.{lever}": {"range": [0.1, 0.9]} for lever in levers},
        "design": {"kind": "lhs", "samples": runs},
        "seed": 1,
        "outcomes": ["pilots_scaled", "engagement_rate"],
    }
    path.write_text(yaml.safe_dump(experiment), encoding="utf-8")
    return load_experiment(path)


def busy(steps: int = 10_000_000) -> float:
    """Seconds for a fixed amount of plain Python work."""
    start = perf_counter()
    total = 0
    for i in range(steps):
        total += i
    return perf_counter() - start


def available_parallelism() -> float:
    """How many times as much work two processes get done as one, now: 2.0 on two idle cores."""
    alone = busy()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        together = list(pool.map(busy, [10_000_000, 10_000_000]))
    return 2 * alone / max(together)


def timed_sweep(plan: SweepPlan, workers: int, folder: Path) -> float:
    """Seconds for a whole sweep of a plan into a fresh folder."""
    with tempfile.TemporaryDirectory(dir=folder) as out:
        start = perf_counter()
        run_sweep(plan, Path(out) / "sweep", workers)
        return perf_counter() - start


def main() -> int:
    """Measure, print the figures and the targets, and return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per throughput measurement (default 100)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats of 1 and 2 workers (default 2)")
    parser.add_argument("--full", type=int, default=1000, help="runs in the full sweep on 2 workers (0: skip)")
    parser.add_argument("--engine", choices=("both", "now", "before"), default="both", help="default: both")
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine == "both":
        return both(args)
    if args.engine == "before" and not os.environ.get(BEFORE_VARIABLE):
        os.environ[BEFORE_VARIABLE] = "1"  # for the workers' fork server, started below
        use_engine_before()
    print(f"engine: {args.engine}; cores available to this process: {len(os.sched_getaffinity(0))}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        timed_sweep(plan_of(4, folder, employees=100), 2, folder)
        plan = plan_of(args.runs, folder)
        seconds: dict[int, list[float]] = {1: [], 2: []}
        parallelism = []
        for repeat in range(args.repeats):
            parallelism.append(available_parallelism())
            print(f"repeat {repeat + 1}: two processes get {parallelism[-1]:.2f} times the work of one done")
            for workers in (1, 2):
                seconds[workers].append(timed_sweep(plan, workers, folder))
                rate = args.runs / seconds[workers][-1]
                print(f"repeat {repeat + 1}, {workers} worker(s): {seconds[workers][-1]:6.2f} s, {rate:5.2f} runs/s")
        median = {workers: statistics.median(values) for workers, values in seconds.items()}
        ratio = median[1] / median[2]
        figures |= {"one": median[1], "two": median[2], "ratio": ratio}
        print(f"\n{args.runs} runs of 1,000 employees x 104 weeks, median over {args.repeats} repeats:")
        for workers in (1, 2):
            print(f"  {workers} worker(s): {args.runs / median[workers]:.2f} runs/s ({median[workers]:.2f} s)")
        print(f"  two workers are {ratio:.2f} times as fast as one (target at least {MIN_RATIO})")
        print(f"  the machine gave two processes {statistics.median(parallelism):.2f} times the work of one")
        passed = ratio >= MIN_RATIO
        if args.full:
            full = timed_sweep(plan_of(args.full, folder), 2, folder)
            figures["full"] = full
            print(
                f"\n{args.full:,} runs on 2 workers: {full:.1f} s ({full / 60:.1f} min, {args.full / full:.2f} runs/s)"
            )
            print(f"  target: under {MAX_FULL_SECONDS / 60:.0f} min")
            passed = passed and full <= MAX_FULL_SECONDS
    print("\nall targets met" if passed else "\nTARGET MISSED")
    if args.result:
        with open(args.result, "w", encoding="utf-8") as out:
            json.dump(figures, out)
    return 0 if passed else 1


def both(args: argparse.Namespace) -> int:
    """The measurement on the engine now (a child process), then before (another), and both side by side."""
    options = ["--runs", str(args.runs), "--repeats", str(args.repeats), "--full", str(args.full)]
    figures, codes = {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for engine in ("now", "before"):
            result = Path(scratch) / f"{engine}.json"
            command = [sys.executable, "-m", "benchmarks.sweep_throughput", "--engine", engine, "--result", str(result)]
            print(f"\n=== the engine {engine} ===", flush=True)
            codes[engine] = subprocess.run([*command, *options], cwd=ROOT, check=False).returncode
            figures[engine] = json.loads(result.read_text(encoding="utf-8"))
    print(f"\nSide by side ({args.runs} runs per throughput measurement; full sweep {args.full:,} runs on 2 workers):")
    print(f"{'':<10}{'1 worker s':>12}{'2 workers s':>13}{'ratio':>8}{'full sweep s':>14}")
    for engine in ("now", "before"):
        f = figures[engine]
        full = f"{f['full']:.1f}" if "full" in f else "-"
        print(f"{engine:<10}{f['one']:>12.2f}{f['two']:>13.2f}{f['ratio']:>8.2f}{full:>14}")
    speedup = figures["before"]["two"] / figures["now"]["two"]
    print(f"now against before, 2 workers: {speedup:.2f}x", end="")
    if "full" in figures["now"]:
        print(f"; full sweep {figures['before']['full'] / figures['now']['full']:.2f}x")
    else:
        print()
    return codes["now"]


if __name__ == "__main__":
    sys.exit(main())
