"""What the compiled kernels cost a fresh process: compiling them after an install, loading them from Numba's
cache afterwards, and `adoptsim run baseline` in a new process now against the engine before (issue 11).

* first run after install: `adoptsim run baseline` with an empty Numba cache (a fresh NUMBA_CACHE_DIR, so the
  cache beside sim/kernels.py, which other processes may be using, is left alone), against the same command
  with the cache filled;
* a fresh worker: a new process imports the model and runs its first week, with the kernels loaded from the
  cache, against the same on the engine before (no Numba at all); and the kernels' share of it (`import
  numba` and loading them);
* `adoptsim run baseline --out DIR` in new processes, now and before (benchmarks.before, through its
  environment variable, and the command line importing every command's module at start, as it did),
  alternating, with medians.

Run from the repository root: python -m benchmarks.startup [--repeats R]
Exits 1 if `adoptsim run baseline` is slower now than before (median against median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from benchmarks.before import BEFORE_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; sys.argv[0] = 'adoptsim'; from benchmarks import before; from sim.cli import main; main()"
CLI_BEFORE = "import sys; sys.argv[0] = 'adoptsim'; from benchmarks import before; import sim.cli; sim.cli.app()"
"""The command line now, and as before: every command's module imported at start (the whole app built)."""
FIRST_WEEK = """
import json, time
start = time.perf_counter()
from benchmarks import before
from sim.model import AdoptionModel
from sim.scenario import load_scenario
imported = time.perf_counter()
model = AdoptionModel(load_scenario("baseline"), rng=0)
model.step()
done = time.perf_counter()
print(json.dumps({"import": imported - start, "first_week": done - imported}))
"""
KERNELS = """
import json, time
import sim.model, sim.scenario
start = time.perf_counter()
import numba
imported = time.perf_counter()
from sim.kernels import load
load()
print(json.dumps({"numba": imported - start, "load": time.perf_counter() - imported}))
"""


def seconds(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of a command in a new process."""
    start = perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return perf_counter() - start


def child(code: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """A new Python process running `code`, which prints its figures as JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def environment(before: bool = False, cache: str | None = None) -> dict[str, str]:
    """This process's environment, with the engine before or a Numba cache folder if asked."""
    env = dict(os.environ)
    env.pop(BEFORE_VARIABLE, None)
    if before:
        env[BEFORE_VARIABLE] = "1"
    if cache:
        env["NUMBA_CACHE_DIR"] = cache
    return env


def main() -> int:
    """Measure and print; 0 unless `adoptsim run baseline` got slower."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats of each (default 7)")
    args = parser.parse_args()
    print(f"cores available to this process: {len(os.sched_getaffinity(0))}")
    with tempfile.TemporaryDirectory() as scratch:
        arguments = ["run", "baseline", "-q", "--force", "--out", f"{scratch}/run"]
        run = [sys.executable, "-c", CLI, *arguments]
        run_before = [sys.executable, "-c", CLI_BEFORE, *arguments]
        cache = f"{scratch}/numba-cache"
        first = seconds(run, environment(cache=cache))
        cached = statistics.median(seconds(run, environment(cache=cache)) for _ in range(3))
        print(f"\nadoptsim run baseline, first run after install (empty Numba cache): {first:.2f} s")
        print(f"  the same with the kernels in the cache (median of 3): {cached:.2f} s")
        print(f"  compiling the kernels: about {first - cached:.1f} s, once per install or change of sim/kernels.py")

        now, before, kernels = [], [], []
        for _ in range(args.repeats):
            now.append(child(FIRST_WEEK, environment(cache=cache)))
            before.append(child(FIRST_WEEK, environment(before=True)))
            kernels.append(child(KERNELS, environment(cache=cache)))
        print(f"\nA fresh process (a new worker): import the model, build the baseline firm, run one week (median of "
              f"{args.repeats}):")
        for name, runs in (("now", now), ("before", before)):
            imported = statistics.median(r["import"] for r in runs)
            week = statistics.median(r["first_week"] for r in runs)
            print(f"  {name:<7} import {imported:.2f} s, first model and week {week:.3f} s")
        numba = statistics.median(k["numba"] for k in kernels)
        load = statistics.median(k["load"] for k in kernels)
        print(f"  of which the kernels: import numba {numba:.2f} s, load them from the cache {load:.2f} s")

        times: dict[str, list[float]] = {"now": [], "before": []}
        for _ in range(args.repeats):
            times["now"].append(seconds(run, environment(cache=cache)))
            times["before"].append(seconds(run_before, environment(before=True)))
        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nadoptsim run baseline in a new process, kernels cached, median of {args.repeats} alternating:")
        for name in ("now", "before"):
            print(f"  {name:<7} {median[name]:.2f} s   (all: {', '.join(f'{t:.2f}' for t in times[name])})")
        slower = median["now"] > median["before"]
        verdict = "FAIL: slower" if slower else "PASS: not slower"
        print(f"  now against before: {median['now'] - median['before']:+.2f} s: {verdict}")
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
