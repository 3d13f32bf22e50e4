"""Writing one file: the one atomic writer and the one figure saver every command uses.

A file is written under a temporary name beside it and renamed into place, so a reader (or a command that
was killed half-way) sees it whole or not at all. Figures are saved through `save_figure`, which leaves out
what would make the same figure differ from run to run or machine to machine (matplotlib's version and the
date in the metadata, SVG's random ids), so the same results give the same figure bytes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TEMPORARY = re.compile(r"\..+\.\d+\.tmp")
"""The names `atomic_write` gives files while they are written: left behind only by a killed command."""

FIGURE_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}, "pdf": {"Creator": None}}
"""Metadata left out of each format: the software version and the date."""

SVG_SALT = "adoptsim"
"""A fixed salt for the ids in SVG files (matplotlib draws them at random otherwise)."""


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call `write(temporary)` to write the file under a temporary name beside `path`, then rename it into
    place: `path` ends up whole or untouched. The temporary file goes if anything fails."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Text (UTF-8) written atomically."""
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def save_figure(
    fig: Figure, path: Path, dpi: int = 100, tight: bool = False, formats: Iterable[str] = ("png",)
) -> list[Path]:
    """Save `fig` as `path` in each format (the suffix replaced by the format's), atomically and byte-stable,
    and close it. `tight` crops the canvas to what is drawn. Returns the paths written."""
    import matplotlib
    import matplotlib.pyplot as plt

    path = Path(path)
    written = []
    try:
        for kind in formats:
            target = path.with_suffix(f".{kind}")
            options = {"format": kind, "dpi": dpi, "metadata": FIGURE_METADATA.get(kind, {})}
            if tight:
                options["bbox_inches"] = "tight"
            with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
                written.append(atomic_write(target, lambda temporary, o=options: fig.savefig(temporary, **o)))
    finally:
        plt.close(fig)
    return written
