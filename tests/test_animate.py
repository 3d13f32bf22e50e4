"""`adoptsim animate` writes a GIF of a baseline run: one frame per week and one of week 0, showing change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence


def test_animate_writes_a_gif_of_a_baseline_run(cli, tmp_path: Path) -> None:
    out = tmp_path / "slides" / "baseline.gif"
    result = cli("animate", "baseline", "--out", out, "--weeks", "8", "--seed", "2", "--set", "firm.levers.culture=0.9")
    assert result.exit_code == 0, result.stderr
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]
        assert gif.info["loop"] == 0
    assert len(frames) == 9
    assert frames[0].shape == frames[-1].shape and frames[0].shape[1] > frames[0].shape[0] > 300
    assert not np.array_equal(frames[0], frames[-1])
    assert [p.name for p in out.parent.iterdir()] == ["baseline.gif"]
