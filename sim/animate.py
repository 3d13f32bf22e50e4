"""An animated GIF of one run for slides: the organisation changing week by week beside the usage, engagement
and anxiety lines and the pilot funnel with the count of pilots scaled, titled with the scenario, the seed, the
--set overrides and the settings a class looks at; the last frame is held before the GIF loops.

The frames are drawn with the same pictures as the classroom app (sim.picture): the fixed parts once, the
moving parts each week. Pillow writes them as a GIF, as matplotlib's PillowWriter does (no ffmpeg needed),
under a temporary name that is renamed when complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from sim.errors import InputError
from sim.model import AdoptionModel
from sim.output import current_umask
from sim.picture import LiveFigure, slide_figure
from sim.schema import Scenario

DPI = 80
HOLD_MS = 4000
"""How long the last frame (the run's outcome) stays on screen before the GIF starts again."""


def animation_title(scenario: Scenario, seed: int, overrides: list[str] | None = None) -> str:
    """The GIF's title: the scenario, the seed and the --set overrides on one line, and on a second the settings
    a class compares (the three foundations, threat, mandate, pilot intake) as the run used them."""
    firm = scenario.firm
    levers = firm.levers
    first = f"{scenario.name}, seed {seed}"
    if overrides:
        first += " · --set " + ", ".join(overrides)
    second = (
        f"infrastructure {levers.infrastructure:.2f} · direction {levers.alignment:.2f} · culture "
        f"{levers.culture:.2f} · threat {firm.perceived_threat:.2f} · mandate {firm.mandate:.2f} · pilot intake "
        f"{scenario.params.pilots.intake:.3f} · {firm.employees} employees"
    )
    return f"{first}\n{second}"


def write_animation(
    scenario: Scenario,
    seed: int,
    out: str | Path,
    fps: int = 8,
    force: bool = False,
    overrides: list[str] | None = None,
) -> int:
    """Run the scenario for its horizon and write a frame of week 0 and one per week to `out` as a GIF that
    loops, holding the last frame for HOLD_MS; returns the number of frames. The title names the settings,
    with the --set `overrides` that made them. An existing file at `out` is replaced only with `force`; the path
    is checked before anything runs."""
    out = require_gif_path(out, force)
    model = AdoptionModel(scenario, rng=seed)
    live = slide_figure(model, DPI, animation_title(scenario, seed, overrides))
    first = live.frame(model)
    durations = [1000 / fps] * scenario.weeks + [max(HOLD_MS, 1000 / fps)]
    with staged_file(out, force) as staging:
        try:
            first.save(staging, save_all=True, append_images=later_frames(model, live), duration=durations, loop=0)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write the GIF there ({exc.strerror or exc}).") from None
    return scenario.weeks + 1


def later_frames(model: AdoptionModel, live: LiveFigure) -> Iterator[Image.Image]:
    """A frame after each week of the horizon, made as Pillow asks for them (not all held at once)."""
    for _ in range(model.spec.weeks):
        model.step()
        yield live.frame(model)


def require_gif_path(out: str | Path, force: bool = False) -> Path:
    """The output must be a .gif file name, in a folder that exists or can be made, and not a file that exists
    already unless `force` (then it is replaced; never a folder or a device, fifo or socket). Returns it as a
    path."""
    if not str(out).strip():
        raise InputError(
            '--out "": the GIF file name is empty. Give a file name ending in .gif, such as slides/run.gif.'
        )
    if "\0" in str(out):
        raise InputError(f"--out {str(out)!r}: a file name cannot hold a NUL character.")
    out = Path(out)
    try:
        if out.is_dir():
            raise InputError(f"--out {out}: is a folder; give a file name ending in .gif, such as {out / 'run.gif'}.")
        if out.suffix.lower() != ".gif":
            raise InputError(f"--out {out}: the animation is a GIF; give a file name ending in .gif.")
        if out.is_symlink() or out.exists():
            require_replaceable(out, force)
        if out.parent.exists() and not out.parent.is_dir():
            raise InputError(f"--out {out}: {out.parent} is not a folder. Give a file name in a folder.")
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot use this path ({exc.strerror or exc}).") from None
    return out


def require_replaceable(out: Path, force: bool) -> None:
    """A file already at `out`: refused unless `force`, and refused even then unless it is a file (or a link)."""
    if not force:
        raise InputError(
            f"--out {out}: exists already, and adoptsim animate does not overwrite files. Give another file name, "
            "or add --force to replace it."
        )
    if not (out.is_symlink() or out.is_file()):
        raise InputError(f"--out {out}: exists and is not a regular file; it is not replaced, even with --force.")


@contextmanager
def staged_file(out: Path, force: bool = False) -> Iterator[Path]:
    """A temporary path beside `out` (with its suffix, which tells Pillow the format) that takes the place of
    `out` when the block succeeds and is removed when it fails, so an interrupted run never leaves half a GIF.
    With `force` it replaces whatever file is at `out`; without, it is linked in only if `out` still does not
    exist (a file that appeared there meanwhile is left alone)."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{out.stem}.partial-", suffix=out.suffix, dir=out.parent)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write there ({exc.strerror}).") from None
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        try:
            staging.chmod(0o666 & ~current_umask())
            if force:
                os.replace(staging, out)
            else:
                put_in_place(staging, out)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot put the GIF there ({exc.strerror or exc}).") from None
    finally:
        staging.unlink(missing_ok=True)


def put_in_place(staging: Path, out: Path) -> None:
    """Give the finished file the name `out` unless something has it by now: a hard link fails, atomically,
    if the name is taken (where the file system has no hard links, the check and the rename are separate)."""
    try:
        os.link(staging, out)
        return
    except FileExistsError:
        require_replaceable(out, force=False)
    except OSError:
        pass
    if out.is_symlink() or out.exists():
        require_replaceable(out, force=False)
    os.replace(staging, out)
