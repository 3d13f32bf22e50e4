"""Will a run fit? The memory (and, for employees.parquet, disk) a command needs, estimated from the scenario
before anything runs, against what the machine has free. A command that would not fit stops with exit code 2
and the estimate, unless the user passes --force.

The figures were measured with Mesa 3.5 and NumPy 2 on Linux (Python 3.13), as the rise in peak resident
memory (`resource.getrusage(...).ru_maxrss`) over a fresh process that had imported adoptsim, across
`sim.run` of the baseline firm at 20,000 and 80,000 employees (4 and 26 weeks: the horizon hardly matters),
populations of 200 firms of 100 and 50 firms of 1,000 employees, and a 20,000-employee run over 52 weeks with
`employees_every=1` (1,040,000 employee rows) followed by writing employees.parquet:
  - 630 to 880 bytes per employee simulated (more for small firms): EMPLOYEE_BYTES rounds up to 1,000;
  - about 300 bytes per employee row kept for employees.parquet, counting the copy made while writing it:
    EMPLOYEE_ROW_BYTES;
  - a process with adoptsim imported holds about 190 MB before it runs anything: PROCESS_BYTES;
  - employees.parquet takes about 48 bytes per row on disk (990 MB for 200,000 employees over 104 weeks):
    PARQUET_ROW_BYTES.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

from sim.errors import InputError
from sim.schema import Scenario

EMPLOYEE_BYTES = 1_000
EMPLOYEE_ROW_BYTES = 300
PROCESS_BYTES = 200_000_000
PARQUET_ROW_BYTES = 50
FORCE_HINT = "Make it smaller, or add --force to try anyway."


def expected_employees(spec: Scenario) -> int:
    """Employees a scenario simulates: its firm's head count, or a population's expected total (each band's
    log-uniform mean head count, weighted by its share)."""
    population = spec.population
    if population is None:
        return spec.firm.employees
    mean = 0.0
    for band in population.bands.values():
        low, high = sorted(band.employees)
        mean += band.share * ((high - low) / math.log(high / low) if high > low else low)
    return math.ceil(population.firms * mean)


def snapshots(spec: Scenario, employees_every: int | None) -> int:
    """How many times every employee's state is kept for employees.parquet (every k weeks and at the end)."""
    if employees_every is None:
        return 0
    if employees_every == 0:
        return 1
    return (spec.weeks - 1) // employees_every + 1


def run_bytes(spec: Scenario, employees_every: int | None = None) -> int:
    """Memory one run of a scenario needs, beyond the process itself."""
    employees = expected_employees(spec)
    return employees * (EMPLOYEE_BYTES + EMPLOYEE_ROW_BYTES * snapshots(spec, employees_every))


def available_memory() -> int | None:
    """Bytes of memory the machine can give without swapping (MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def size(n: float) -> str:
    """Bytes as people read them: 1.2 GB, 350 MB."""
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.0f} MB"


def check_memory(needed: int, what: str, force: bool, available: int | None = None) -> None:
    """Refuse (unless `force`) what needs more memory than the machine has available."""
    available = available_memory() if available is None else available
    if force or available is None or needed <= available:
        return
    raise InputError(
        f"{what} would need about {size(needed)} of memory; this machine has {size(available)} available. "
        f"{FORCE_HINT}"
    )


def check_run_fits(
    spec: Scenario,
    employees_every: int | None,
    force: bool,
    out: Path | None = None,
    available: int | None = None,
    source: str | None = None,
) -> None:
    """`adoptsim run`: the run's memory, and with --employees the disk space employees.parquet takes.
    `source` names the scenario file in the message."""
    employees = expected_employees(spec)
    kept = snapshots(spec, employees_every)
    rows = f", keeping {employees * kept:,} employee rows for employees.parquet (--employees)" if kept else ""
    what = f"{source or spec.name}: {employees:,} employees over {spec.weeks} weeks{rows}"
    check_memory(PROCESS_BYTES + run_bytes(spec, employees_every), what, force, available)
    if kept and out is not None and not force:
        disk = employees * kept * PARQUET_ROW_BYTES
        free = free_disk(out)
        if free is not None and disk > free:
            raise InputError(
                f"{what}: employees.parquet would take about {size(disk)}; {out} has {size(free)} free. {FORCE_HINT}"
            )


def check_scenarios_fit(
    specs: list[Scenario],
    workers: int | None,
    force: bool,
    available: int | None = None,
    source: str | None = None,
) -> None:
    """Commands that run scenarios in `workers` processes at once (compare, validate, sweep): the largest
    run times the processes. `source` names the file in the message."""
    if not specs:
        return
    largest = max(specs, key=expected_employees)
    processes = max(1, workers or 1)
    needed = processes * (PROCESS_BYTES + run_bytes(largest))
    what = (
        f"{source or largest.name}: {expected_employees(largest):,} employees per run, {processes} "
        f"process{'es' if processes > 1 else ''} at once"
    )
    check_memory(needed, what, force, available)


def free_disk(out: Path) -> int | None:
    """Free bytes on the file system an output folder would be written to (its nearest existing parent)."""
    folder = Path(out).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None
