"""Writing results: an output folder is built under a temporary name and renamed into place when complete,
so an interrupted or failed command never leaves half-written output."""

from __future__ import annotations

import json
import os
import platform
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
from sim.run import RunResult
from sim.scenario import scenario_digest
from sim.survey import definitions, survey_frame, survey_rates

FLOAT_FORMAT = "%.6g"


@contextmanager
def output_folder(out: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside `out`; on success it replaces `out`, on failure it is removed."""
    out = Path(out)
    staging = make_staging_folder(out)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_folder(staging, out)


def make_staging_folder(out: Path) -> Path:
    """Create the temporary sibling folder, or explain why the output folder cannot be written."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder. Give a folder path to write results into.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write there ({exc.strerror}). Give a folder you can write to.") from None
    staging.chmod(0o777 & ~current_umask())
    return staging


def current_umask() -> int:
    """The process's file-creation mask (mkdtemp makes private folders; results should not be)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_folder(staging: Path, out: Path) -> None:
    """Move the finished folder into place, replacing any earlier results at that path."""
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
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
    """JSON with stable formatting."""
    path.write_text(json.dumps(rounded(data), indent=2) + "\n", encoding="utf-8")


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
    write_json(
        folder / "survey.json", {"rates": survey_rates(frame), "definitions": definitions(spec.survey, spec.params)}
    )
