"""An animated GIF of one run for slides: the organisation changing week by week beside the usage, engagement
and anxiety lines.

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


def write_animation(scenario: Scenario, seed: int, out: Path, fps: int = 8) -> int:
    """Run the scenario for its horizon and write a frame of week 0 and one per week to `out` as a GIF that
    loops; returns the number of frames."""
    require_gif_path(out)
    model = AdoptionModel(scenario, rng=seed)
    live = slide_figure(model, DPI)
    first = live.frame(model)
    with staged_file(out) as staging:
        first.save(staging, save_all=True, append_images=later_frames(model, live), duration=1000 / fps, loop=0)
    return scenario.weeks + 1


def later_frames(model: AdoptionModel, live: LiveFigure) -> Iterator[Image.Image]:
    """A frame after each week of the horizon, made as Pillow asks for them (not all held at once)."""
    for _ in range(model.spec.weeks):
        model.step()
        yield live.frame(model)


def require_gif_path(out: Path) -> None:
    """The output must be a .gif file in a folder that exists or can be made."""
    if out.suffix.lower() != ".gif":
        raise InputError(f"--out {out}: the animation is a GIF; give a file name ending in .gif.")
    if out.is_dir():
        raise InputError(f"--out {out}: is a folder; give a file name ending in .gif.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create its folder ({exc.strerror}).") from None


@contextmanager
def staged_file(out: Path) -> Iterator[Path]:
    """A temporary path beside `out` (with its suffix, which tells Pillow the format) that replaces `out` when
    the block succeeds and is removed when it fails, so an interrupted run never leaves half a GIF."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{out.stem}.partial-", suffix=out.suffix, dir=out.parent)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write there ({exc.strerror}).") from None
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    staging.chmod(0o666 & ~current_umask())
    os.replace(staging, out)
