"""Writing results: an output folder is built under a temporary name and renamed into place when complete,
so an interrupted or failed command never leaves half-written output.

An existing folder is replaced only when it is empty or holds an earlier output of the same command (its
manifest.json says which command wrote it; older outputs are recognised by their files); anything else is
refused unless the user passes --force. Default output paths made from a scenario's or comparison's name
stay inside outputs/. Staging folders a killed command left behind are removed by the next command writing
to the same place."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import mesa
import numpy as np
import yaml

from sim.errors import InputError
from sim.files import write_text
from sim.run import RunResult
from sim.scenario import scenario_digest
from sim.survey import definitions, population_rates, survey_frame

FLOAT_FORMAT = "%.6g"


OUTPUTS = Path("outputs")
"""Where results go by default, relative to the working folder."""
MANIFEST = "manifest.json"
KIND_FIELD = "command_kind"
"""The manifest field naming the command that wrote a folder (run, compare, validate)."""
KIND_FILES = {
    "run": ("manifest.json", "summary.json", "timeseries.csv"),
    "compare": ("manifest.json", "comparison.json", "comparison.csv"),
    "validate": ("validation.json", "targets.csv"),
    "sweep": ("experiment.json",),
    "calibrate": ("study.journal",),
    "optimise": ("optimise.journal",),
    "discover": ("manifest.json", "discovery.json"),
}
"""Files by which each command's output is recognised (outputs written before manifests named their
command; sweep and calibration folders are recognised by these files alone)."""
TEMPORARY_FILE = re.compile(r"\..+\.tmp")
"""A temporary file a killed command may leave inside its folder (a folder holding only these is empty)."""
STAGING = re.compile(r"\.(?P<name>.+)\.(?:partial|old)-(?:(?P<pid>\d+)-)?[^/]*")
"""Names of the temporary folders beside an output folder: .NAME.partial-PID-XXXX (being written) and
.NAME.old-PID-XXXX (being retired); older versions wrote them without the PID."""


def output_path(out: str | Path | None, default: Path) -> Path:
    """The folder given with --out, or the default; an empty --out is refused (it would mean the working
    folder)."""
    if out is None:
        return default
    if not str(out).strip():
        raise InputError('--out "": the output folder is empty. Give a folder path, such as outputs/my-run.')
    return Path(out)


def default_output(name: str, suffix: str = "") -> Path:
    """outputs/<name><suffix>, the name reduced to a safe slug so it cannot point outside outputs/."""
    return OUTPUTS / f"{slug(name)}{suffix}"


def slug(name: str) -> str:
    """A name as one safe folder name: letters, digits, dots, dashes and underscores; no leading dot, no
    separators, never empty."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name))
    text = re.sub(r"-{2,}", "-", text).strip(".-_")[:80].strip(".-_")
    return text or "unnamed"


def claim_folder(out: Path, kind: str, force: bool = False) -> None:
    """Refuse to write into `out` unless it is new, empty, or holds an earlier output of the command `kind`
    (or `force` is given). A file in the way, or a folder that holds the working folder, is always refused."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder. Give a folder path to write results into.")
    if not out.is_dir():
        return
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise InputError(
            f"--out {out}: is the working folder or holds it; results would replace it. Give a new folder, "
            "such as outputs/my-run."
        )
    if force or not any(not TEMPORARY_FILE.fullmatch(p.name) for p in out.iterdir()) or held_kind(out) == kind:
        return
    held = held_kind(out)
    marker = f"{MANIFEST} saying so" if KIND_FILES[kind][0] == MANIFEST else KIND_FILES[kind][0]
    what = (
        f"holds the output of adoptsim {held}, not of adoptsim {kind}"
        if held
        else f"is not an output of adoptsim {kind}: it holds no {marker}"
    )
    raise InputError(
        f"--out {out}: the folder exists, is not empty and {what}, so it is left alone. Give a new or empty "
        f"folder, or add --force to replace its contents."
    )


def held_kind(folder: Path) -> str | None:
    """Which command's output a folder holds: as its manifest says, else as its files show, else None."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and isinstance(data.get(KIND_FIELD), str):
        return data[KIND_FIELD]
    return next((kind for kind, files in KIND_FILES.items() if all((folder / f).is_file() for f in files)), None)


@contextmanager
def output_folder(out: Path, kind: str, force: bool = False, command: list[str] | None = None) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `out`; on success it is stamped with `kind` (the command, in its
    manifest) and replaces `out`, on failure it is removed. `out` must be new, empty, or an earlier output
    of the same command unless `force`: see claim_folder."""
    out = Path(out)
    claim_folder(out, kind, force)
    staging = make_staging_folder(out)
    try:
        yield staging
        stamp(staging, kind, command)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_folder(staging, out)


def stamp(folder: Path, kind: str, command: list[str] | None = None) -> None:
    """Record in the folder's manifest which command wrote it (a manifest is made if the command wrote none)."""
    path = folder / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {
        "versions": versions(),
        "command": " ".join(command if command is not None else sys.argv),
    }
    write_json(path, {KIND_FIELD: kind, **data})


def make_staging_folder(out: Path) -> Path:
    """Create the temporary sibling folder (named with this process's id), after removing those a killed
    command left beside `out`; or explain why the output folder cannot be written."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write there ({exc.strerror}). Give a folder you can write to.") from None
    staging.chmod(0o777 & ~current_umask())
    return staging


def remove_stale_staging(out: Path) -> None:
    """Remove the temporary folders beside `out` whose process is gone (a killed or crashed command)."""
    for entry in out.parent.iterdir():
        match = STAGING.fullmatch(entry.name)
        if match and match["name"] == out.name and entry.is_dir() and not entry.is_symlink():
            if not process_alive(int(match["pid"]) if match["pid"] else None):
                shutil.rmtree(entry, ignore_errors=True)


def process_alive(pid: int | None) -> bool:
    """Whether a process with this id runs (None, an id an older version did not record: taken as gone)."""
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def is_staging(folder: Path) -> bool:
    """Whether a folder is a temporary one an unfinished or killed command left, not a result."""
    return STAGING.fullmatch(Path(folder).absolute().name) is not None


def clear_folder(out: Path) -> None:
    """Remove a folder and what it holds (for --force on commands that write into a folder in place): it is
    first renamed aside, so what is left after an interruption is recognisably temporary."""
    if out.is_dir():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
        os.replace(out, retired / out.name)
        shutil.rmtree(retired, ignore_errors=True)


def current_umask() -> int:
    """The process's file-creation mask (mkdtemp makes private folders; results should not be)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_folder(staging: Path, out: Path) -> None:
    """Move the finished folder into place, replacing any earlier results at that path."""
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
        os.replace(out, retired / out.name)
        os.replace(staging, out)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, out)


def versions() -> dict[str, str]:
    """Versions of the software that produced a result."""
    try:
        package = metadata.version("adoptsim")
    except metadata.PackageNotFoundError:
        package = "unknown"
    return {"adoptsim": package, "mesa": mesa.__version__, "numpy": np.__version__, "python": platform.python_version()}


def rounded(value):
    """Floats rounded to 10 significant digits, recursively, so JSON output reads cleanly."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def write_json(path: Path, data: dict) -> None:
    """JSON with stable formatting, written atomically (sim.files)."""
    write_text(path, json.dumps(rounded(data), indent=2) + "\n")


def manifest(result: RunResult, command: list[str] | None = None) -> dict:
    """What produced a run: scenario name and hash, seed, horizon, software versions and the command."""
    return {
        "scenario": result.scenario.name,
        "scenario_sha256": scenario_digest(result.scenario),
        "seed": result.seed,
        "weeks": result.weeks,
        "versions": versions(),
        "command": " ".join(command if command is not None else sys.argv),
    }


def write_run(result: RunResult, folder: Path, command: list[str] | None = None) -> None:
    """Write one run's files (the figures are written separately, see sim.plots)."""
    write_json(folder / "manifest.json", manifest(result, command))
    write_json(folder / "summary.json", result.summary)
    (folder / "scenario.yaml").write_text(
        yaml.safe_dump(result.scenario.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    result.timeseries.to_csv(folder / "timeseries.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    result.pilots.to_csv(folder / "pilots.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    if result.employees is not None:
        result.employees.to_parquet(folder / "employees.parquet", index=False)
    if result.scenario.population is not None:
        write_survey(result, folder)


def write_survey(result: RunResult, folder: Path) -> None:
    """A population's survey answers (docs/ODD.md section 7.23): survey.csv, a row per firm, and survey.json,
    the population's rates with what each one means."""
    frame = survey_frame(result.model)
    frame.to_csv(folder / "survey.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    spec = result.scenario
    rates = population_rates(result.model, frame)
    write_json(folder / "survey.json", {"rates": rates, "definitions": definitions(spec.survey, spec.params)})
