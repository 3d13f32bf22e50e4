"""The one figure saver: every figure adoptsim writes (runs, comparisons, sweeps, sensitivity, discovery,
calibration, validation) is saved here, as PNG for pages and slides and as SVG for print and editing.

Both are byte-stable: the same figure gives the same bytes on every run (PNG without the Software tag; SVG
with a fixed hash salt for its element ids and without a date). Each file is written under a temporary name
beside it and renamed into place, so it is whole or absent, and the figure is closed afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

FORMATS = ("png", "svg")
SVG_SALT = "adoptsim"
"""Seeds the ids matplotlib gives SVG elements, which are otherwise random."""
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def save_figure(fig: Figure, path: Path, dpi: int = 100, tight: bool = True) -> Path:
    """Save `fig` as `path` (PNG) and beside it as SVG (the same name, .svg), then close it; returns `path`."""
    path = Path(path)
    options = {"dpi": dpi, **({"bbox_inches": "tight"} if tight else {})}
    try:
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "path"}):
            for fmt in FORMATS:
                target = path.with_suffix(f".{fmt}")
                temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
                try:
                    fig.savefig(temporary, format=fmt, metadata=METADATA[fmt], **options)
                    os.replace(temporary, target)
                except BaseException:
                    temporary.unlink(missing_ok=True)
                    raise
    finally:
        plt.close(fig)
    return path
