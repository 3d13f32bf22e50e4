"""How the engine's cost grows with the firm: time and peak memory at 1,000, 10,000 and 100,000 employees.

Targets (DESIGN section 8): each tenfold growth in employees costs at most 12 times the time, and
100,000 employees run 104 weeks in one process with under 2 GB peak memory.

Every run is a fresh subprocess (`--child`), so its peak resident memory (ru_maxrss, which includes the
interpreter and the imported libraries) is its own. A run is timed from building the model (the baseline
scenario with `firm.employees` overridden) to the end of its last week, after a short untimed warm-up.
The time of a size is its best over the repeats, its memory the largest peak. Each size also runs, in
alternation, on the engine as it was before its rules were compiled into sim/kernels.py (benchmarks.before:
the NumPy rules, every employee's Mesa agent built with the model): the before-and-after columns. The
targets apply to the engine now.

Run from the repository root: python -m benchmarks.scaling [--repeats R]
Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from time import perf_counter

from benchmarks.before import use_engine_before
from sim.model import AdoptionModel
from sim.scenario import load_scenario

SIZES = (1_000, 10_000, 100_000)
MAX_TENFOLD_RATIO = 12.0
MEMORY_LIMIT_MB = 2048.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measurement:
    """One firm size: best time over the repeats and the largest peak memory."""

    employees: int
    seconds: float
    peak_mb: float
    before_seconds: float
    before_peak_mb: float


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is in KB on Linux, in bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def run_engine(employees: int, before: bool = False) -> dict[str, float]:
    """Time one engine run of the baseline scenario at the given size; report it with this process's peak memory."""
    use_engine_before(before)
    if not before:  # every kernel, as a short warm-up run may not call them all (before: no Numba at all)
        from sim.kernels import load

        load()
    warm = AdoptionModel(load_scenario("baseline", ["firm.employees=100"]), rng=0)
    warm.step()
    scenario = load_scenario("baseline", [f"firm.employees={employees}"])
    start = perf_counter()
    model = AdoptionModel(scenario, rng=0)
    for _ in range(scenario.weeks):
        model.step()
    return {"seconds": perf_counter() - start, "peak_mb": peak_memory_mb()}


def run_in_subprocess(employees: int, before: bool = False) -> dict[str, float]:
    """One engine run in a fresh Python process."""
    command = [sys.executable, "-m", "benchmarks.scaling", "--child", str(employees)]
    command += ["--before"] if before else []
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def measure(employees: int, repeats: int) -> Measurement:
    """Best time and largest peak memory of `repeats` fresh runs at one size, now and (alternating) before."""
    runs, before_runs = [], []
    for _ in range(repeats):
        runs.append(run_in_subprocess(employees))
        before_runs.append(run_in_subprocess(employees, before=True))
    return Measurement(
        employees,
        min(r["seconds"] for r in runs),
        max(r["peak_mb"] for r in runs),
        min(r["seconds"] for r in before_runs),
        max(r["peak_mb"] for r in before_runs),
    )


def report(results: list[Measurement]) -> bool:
    """Print the table and the targets; return whether both targets are met."""
    tenfold = [later.seconds / earlier.seconds for earlier, later in pairwise(results)]
    print(
        f"{'employees':>10}{'time s':>10}{'x 1k':>8}{'x previous':>12}{'peak MB':>10}"
        f"{'before s':>15}{'peak MB':>10}{'speed-up':>10}"
    )
    for current, step in zip(results, [None, *tenfold], strict=True):
        step_text = "-" if step is None else f"{step:.1f}"
        vs_first = current.seconds / results[0].seconds
        print(
            f"{current.employees:>10,}{current.seconds:>10.3f}{vs_first:>8.1f}{step_text:>12}{current.peak_mb:>10.0f}"
            f"{current.before_seconds:>15.3f}{current.before_peak_mb:>10.0f}"
            f"{current.before_seconds / current.seconds:>9.1f}x"
        )
    linear = all(step <= MAX_TENFOLD_RATIO for step in tenfold)
    largest = results[-1]
    fits = largest.peak_mb < MEMORY_LIMIT_MB
    print(f"\ntarget: each tenfold size costs at most {MAX_TENFOLD_RATIO:.0f}x the time: {verdict(linear)}")
    print(f"target: {largest.employees:,} employees under {MEMORY_LIMIT_MB:.0f} MB peak: {verdict(fits)}")
    return linear and fits


def verdict(met: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if met else "FAIL"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh runs per size (default 3)")
    parser.add_argument("--child", type=int, metavar="EMPLOYEES", help=argparse.SUPPRESS)
    parser.add_argument("--before", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure every size and judge the targets; 0 if both are met."""
    args = parse_args(argv)
    if args.child:
        print(json.dumps(run_engine(args.child, before=args.before)))
        return 0
    print(f"Engine, baseline scenario, 104 weeks, best of {args.repeats} fresh processes per size\n")
    return 0 if report([measure(n, args.repeats) for n in SIZES]) else 1


if __name__ == "__main__":
    sys.exit(main())
