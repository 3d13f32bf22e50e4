"""The sweep runner: every run of an experiment, in this process, a local process pool or a Dask cluster.

Each finished run is written at once as its own one-row Parquet part, `OUT/parts/run-<index>.parquet`,
under a temporary name and renamed, so a part that exists is complete. Rerunning the same command runs
only the runs without a part: an interrupted sweep (Ctrl-C, kill -9, a dead worker) resumes where it
stopped. `OUT/experiment.json` records the experiment and a hash of everything that decides the results;
a folder holding another experiment is refused. When every run has a part, `OUT/runs.parquet` is
assembled: one row per run, sorted by run index (the command then draws `OUT/figures/`, see
sim.experiments.figures).

A run that raises is recorded with its error message and seed (and empty outcomes); the sweep goes on. A
run lost to a worker that died is not recorded, so the next invocation runs it again.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pydantic import ValidationError

from sim.errors import InputError
from sim.experiments.design import Experiment, RunSpec, SweepPlan, build_plan, series_points
from sim.experiments.execution import connect, map_tasks
from sim.files import TEMPORARY, atomic_write
from sim.metrics import firm_totals
from sim.output import versions
from sim.run import RunResult, run
from sim.scenario import scenario_with
from sim.schema import Scenario

PARTS = "parts"
RUNS_FILE = "runs.parquet"
EXPERIMENT_FILE = "experiment.json"
PART_NAME = re.compile(r"run-(\d+)\.parquet")


class SweepIncomplete(Exception):
    """Some runs were lost to workers that died: the sweep must be run again to finish (exit code 1)."""


@dataclass(frozen=True)
class Task:
    """Everything one run needs, self-contained so it can travel to a worker process or a Dask worker."""

    spec: RunSpec
    base: Scenario
    outcomes: tuple[str, ...]
    series: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class Lost:
    """A run whose worker died before it reported (no part is written; the next invocation runs it)."""

    index: int
    reason: str


@dataclass
class Tally:
    """A sweep's progress: runs in the experiment, runs with a part (done), and of those the failed ones;
    `skipped` were done before this invocation; `lost` died with their worker in this one."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    lost: list[Lost] = field(default_factory=list)


@dataclass(frozen=True)
class Sweep:
    """A finished sweep: how it went, and its runs table."""

    tally: Tally
    runs: pd.DataFrame


Progress = Callable[[Tally], None]


# --- One run ------------------------------------------------------------------------------------------------


def run_task(task: Task) -> dict[str, Any]:
    """Run one design point with one seed and return its row of the runs table. An exception inside the run
    becomes the row's `error` (type and message) with empty outcomes, so one bad run cannot stop a sweep."""
    spec = task.spec
    row = {"run": spec.index, **spec.values, "replicate": spec.replicate, "seed": spec.seed}
    try:
        result = run(scenario_with(task.base, spec.values), spec.seed)
        figures = outcome_figures(result, task)
    except Exception as exc:
        names = [*task.outcomes, *(name for name, _, _ in task.series)]
        return {**row, **dict.fromkeys(names), "error": f"{type(exc).__name__}: {exc}"}
    return {**row, **figures, "error": ""}


def outcome_figures(result: RunResult, task: Task) -> dict[str, Any]:
    """The outcomes kept from one run: summary figures, and time-series columns at the weeks kept (firms
    totalled; empty for weeks past a horizon that a factor made shorter)."""
    figures = {name: float(result.summary[name]) for name in task.outcomes}
    weekly = firm_totals(result.timeseries)
    for name, column, week in task.series:
        figures[name] = float(weekly.at[week, column]) if week in weekly.index else None
    return figures


def tasks_for(plan: SweepPlan, runs: Iterable[RunSpec]) -> list[Task]:
    """The tasks of the given runs of a plan."""
    series = tuple(series_points(plan.spec.timeseries, plan.base.weeks))
    return [Task(spec, plan.base, tuple(plan.spec.outcomes), series) for spec in runs]


# --- Executing runs -----------------------------------------------------------------------------------------

Record = Callable[[dict[str, Any] | Lost], None]


def run_locally(tasks: list[Task], record: Record, workers: int) -> None:
    """Tasks through the execution layer (a pool of `workers` processes, or this process when one worker
    suffices), each row recorded as its run finishes; a run whose worker died is recorded as `Lost`."""

    def lost(position: int, error: BaseException) -> Lost:
        return Lost(tasks[position].spec.index, f"{type(error).__name__}: {error}")

    def finished(position: int, row: dict[str, Any] | Lost) -> None:
        record(row)

    map_tasks(run_task, [(task,) for task in tasks], workers, finished, on_lost=lost, preload=["__main__"])


def run_on_cluster(tasks: list[Task], record: Record, client: Any, digest: str) -> None:
    """Tasks on a Dask cluster, each row recorded here (in this process) as its run finishes."""
    from distributed import as_completed as finished_first

    if not tasks:
        return
    keys = [f"adoptsim-{digest[:16]}-run-{task.spec.index}" for task in tasks]
    futures = client.map(run_task, tasks, key=keys)
    index = {future.key: task.spec.index for future, task in zip(futures, tasks, strict=True)}
    try:
        for future in finished_first(futures):
            record(settled(future, index[future.key]))
    except BaseException:
        client.cancel(futures)
        raise


def settled(future: Any, index: int) -> dict[str, Any] | Lost:
    """A finished future's row, or a `Lost` run when its worker failed (runs record their own errors, so
    an exception here comes from the machinery: a dead process, a killed worker)."""
    try:
        return future.result()
    except (Exception, asyncio.CancelledError) as exc:
        return Lost(index, f"{type(exc).__name__}: {exc}")


@contextmanager
def executor(workers: int, scheduler: str | None, digest: str) -> Iterator[Callable[[list[Task], Record], None]]:
    """Where runs go: `execute(tasks, record)` on the Dask cluster at `scheduler`, else locally. The scheduler
    is reached first, so a wrong address is refused before anything is written."""
    if scheduler is None:
        yield partial(run_locally, workers=workers)
        return
    with connect(scheduler) as client:
        yield partial(run_on_cluster, client=client, digest=digest)


# --- The sweep folder ---------------------------------------------------------------------------------------


def run_sweep(
    plan: SweepPlan,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    command: list[str] | None = None,
) -> Sweep:
    """Run every run of a plan that has no part in `out` yet, then assemble runs.parquet (figures: see
    sim.experiments.figures). `progress(tally)` is called at the start and as each run finishes. Raises
    SweepIncomplete when runs were lost to dead workers (what finished is kept)."""
    with executor(workers, scheduler, plan.digest) as execute:
        parts = prepare_folder(Path(out), plan, command)
        schema = table_schema(plan)
        done = finished_runs(parts, schema)
        saved = set(done["run"])
        tally = Tally(len(plan.runs), done=len(done), failed=int((done["error"] != "").sum()), skipped=len(done))
        report = progress or (lambda _: None)
        report(tally)
        execute(
            tasks_for(plan, [spec for spec in plan.runs if spec.index not in saved]),
            record_in(parts, schema, tally, report),
        )
    if tally.lost:
        raise SweepIncomplete(lost_message(tally, parts))
    return Sweep(tally, assemble(Path(out), plan, schema))


def record_in(parts: Path, schema: pa.Schema, tally: Tally, report: Progress) -> Record:
    """What to do with each finished run: save it as its part, count it and report progress."""

    def record(row: dict[str, Any] | Lost) -> None:
        """Save one finished run as its part and count it."""
        if isinstance(row, Lost):
            tally.lost.append(row)
        else:
            write_part(parts, row, schema)
            tally.done += 1
            tally.failed += row["error"] != ""
        report(tally)

    return record


def lost_message(tally: Tally, parts: Path) -> str:
    """Why a sweep stopped short, and how to finish it."""
    first = tally.lost[0]
    return (
        f"{len(tally.lost)} runs did not finish because a worker died (run {first.index}: {first.reason}). "
        f"{tally.done} of {tally.total} runs are saved in {parts}; run the same command again to run the rest."
    )


def experiment_record(plan: SweepPlan, command: list[str] | None) -> dict:
    """What experiment.json holds: the experiment, the resolved base scenario, the hash that identifies them,
    the size of the sweep, versions and the command."""
    return {
        "name": plan.spec.name,
        "sha256": plan.digest,
        "runs": len(plan.runs),
        "points": plan.points,
        "columns": plan.columns,
        "experiment": plan.spec.model_dump(mode="json"),
        "base_scenario": plan.base.model_dump(mode="json"),
        "versions": versions(),
        "command": " ".join(command if command is not None else sys.argv),
    }


def prepare_folder(out: Path, plan: SweepPlan, command: list[str] | None) -> Path:
    """Create the sweep folder with experiment.json, or check that an existing one holds this experiment;
    return its parts folder, cleared of temporary files a killed sweep left."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder. Give a folder to write the sweep into.")
    marker = out / EXPERIMENT_FILE
    if marker.is_file():
        check_same_experiment(out, plan)
    elif out.exists() and any(not TEMPORARY.fullmatch(p.name) for p in out.iterdir()):
        raise InputError(
            f"--out {out}: the folder is not empty and holds no {EXPERIMENT_FILE}, so it is not a sweep folder. "
            "Give a new or empty folder."
        )
    else:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"--out {out}: cannot create it ({exc.strerror}). Give a folder you can write to."
            ) from None
        atomic_write(marker, lambda path: path.write_text(json.dumps(experiment_record(plan, command), indent=2)))
    parts = out / PARTS
    parts.mkdir(exist_ok=True)
    for stale in [*out.iterdir(), *parts.iterdir()]:
        if TEMPORARY.fullmatch(stale.name):
            stale.unlink()
    return parts


def check_same_experiment(out: Path, plan: SweepPlan) -> None:
    """Refuse to resume into a folder that holds a different experiment."""
    held = read_record(out)
    if held.get("sha256") != plan.digest:
        raise InputError(
            f"--out {out}: holds a different experiment ({held.get('name')!r}, sha256 {str(held.get('sha256'))[:12]}) "
            f"than {plan.spec.name!r} (sha256 {plan.digest[:12]}): the base scenario, factors, design, seed or "
            "outcomes differ. Give another --out folder, or delete this one to start over."
        )


def holds_experiment(out: Path, plan: SweepPlan) -> bool:
    """Whether a folder is the sweep folder of this very experiment (to resume into)."""
    try:
        return read_record(out).get("sha256") == plan.digest
    except InputError:
        return False


def read_record(folder: Path) -> dict:
    """A sweep folder's experiment.json."""
    path = folder / EXPERIMENT_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{folder}: no {EXPERIMENT_FILE}; give a folder written by adoptsim sweep.") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: cannot read it ({exc}). Run the sweep again into a new folder.") from None
    if not isinstance(record, dict) or not all(key in record for key in ("sha256", "experiment", "base_scenario")):
        raise InputError(
            f"{path}: is not a sweep's {EXPERIMENT_FILE} (a mapping with sha256, experiment, base_scenario, ...). "
            "It was changed by hand or by another program; run the sweep again into a new folder."
        )
    return record


def plan_from_record(folder: Path) -> SweepPlan:
    """Rebuild a sweep's plan from its experiment.json, checking that the design comes out the same."""
    record = read_record(folder)
    try:
        spec, base = Experiment.model_validate(record["experiment"]), Scenario.model_validate(record["base_scenario"])
    except (ValidationError, RecursionError) as exc:
        raise InputError(
            f"{folder / EXPERIMENT_FILE}: its experiment or base scenario is not valid ({str(exc).splitlines()[0]}). "
            "It was changed by hand; run the sweep again into a new folder."
        ) from None
    plan = build_plan(spec, base)
    if plan.digest != record["sha256"]:
        raise InputError(
            f"{folder / EXPERIMENT_FILE}: its design cannot be drawn again the same way (a different adoptsim or "
            "SALib version?). Run the sweep again into a new folder."
        )
    return plan


def table_schema(plan: SweepPlan) -> pa.Schema:
    """The runs table's columns and types: run, the factors (their values' type), replicate, seed, the
    outcomes (floating point) and error."""
    factor_types = [(name, pa.array([spec.values[name] for spec in plan.runs]).type) for name in plan.factors]
    outcomes = [(name, pa.float64()) for name in plan.outcome_columns]
    ids = [("replicate", pa.int64()), ("seed", pa.int64())]
    return pa.schema([("run", pa.int64()), *factor_types, *ids, *outcomes, ("error", pa.string())])


def part_path(parts: Path, index: int) -> Path:
    """Where run `index` is saved."""
    return parts / f"run-{index:06d}.parquet"


def write_part(parts: Path, row: dict[str, Any], schema: pa.Schema) -> None:
    """Save one run's row as its own Parquet part."""
    table = pa.Table.from_pylist([row], schema=schema)
    atomic_write(part_path(parts, row["run"]), lambda path: pq.write_table(table, path))


def read_parts(parts: Path, schema: pa.Schema) -> pa.Table:
    """Every saved part as one table, sorted by run index."""
    files = sorted(p for p in parts.iterdir() if PART_NAME.fullmatch(p.name))
    if not files:
        return schema.empty_table()
    return ds.dataset([str(path) for path in files], schema=schema, format="parquet").to_table().sort_by("run")


def finished_runs(parts: Path, schema: pa.Schema) -> pd.DataFrame:
    """The run index and error of every run already saved."""
    return read_parts(parts, schema).select(["run", "error"]).to_pandas()


def assemble(out: Path, plan: SweepPlan, schema: pa.Schema) -> pd.DataFrame:
    """Join the parts into runs.parquet (one row per run, by run index) and return it as a DataFrame."""
    table = read_parts(out / PARTS, schema)
    if table.column("run").to_pylist() != [spec.index for spec in plan.runs]:
        raise SweepIncomplete(f"{out / PARTS}: the parts do not cover every run once; run the same command again.")
    atomic_write(out / RUNS_FILE, lambda path: pq.write_table(table, path))
    return table.to_pandas()
