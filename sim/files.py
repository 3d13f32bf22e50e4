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
FORMATS = ("png", "svg")
"""Every figure is saved as PNG (pages, slides) and SVG (print, editing); text in SVG as paths, so it looks
the same without the fonts."""


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
    fig: Figure, path: Path, dpi: int = 100, tight: bool = False, formats: Iterable[str] = FORMATS
) -> Path:
    """Save `fig` as `path` (PNG) and beside it in the other formats (the same name, .svg), atomically and
    byte-stable, then close it; returns `path`. `tight` crops the canvas to what is drawn."""
    import matplotlib
    import matplotlib.pyplot as plt

    path = Path(path)
    options = {"dpi": dpi, **({"bbox_inches": "tight"} if tight else {})}
    try:
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
            for kind in formats:
                metadata = FIGURE_METADATA.get(kind, {})
                atomic_write(
                    path.with_suffix(f".{kind}"),
                    lambda temporary, k=kind, m=metadata: fig.savefig(temporary, format=k, metadata=m, **options),
                )
    finally:
        plt.close(fig)
    return path
