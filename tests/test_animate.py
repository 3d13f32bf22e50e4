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


def test_the_gif_holds_its_last_frame_and_names_its_settings(cli, tmp_path: Path) -> None:
    from sim.animate import HOLD_MS

    out = tmp_path / "foundations.gif"
    override = "firm.levers.culture=0.8"
    result = cli("animate", "lessons/three-foundations", "--out", out, "--weeks", "6", "--fps", "10", "--set", override)
    assert result.exit_code == 0, result.stderr
    with Image.open(out) as gif:
        durations = []
        for frame in range(gif.n_frames):
            gif.seek(frame)
            durations.append(gif.info["duration"])
    assert durations[0] == 100 and durations[-1] == HOLD_MS and len(durations) == 7


def test_the_frames_show_the_funnel_the_scaled_count_and_a_title_with_the_overrides() -> None:
    from sim.animate import animation_title
    from sim.model import AdoptionModel
    from sim.picture import FunnelPicture, slide_figure
    from sim.scenario import load_scenario

    override = "firm.levers.culture=0.8"
    spec = load_scenario("lessons/three-foundations", [override, "weeks=30"])
    title = animation_title(spec, 3, [override])
    assert spec.name in title and "seed 3" in title and override in title and "culture 0.80" in title
    model = AdoptionModel(spec, rng=3)
    live = slide_figure(model, 60, title)
    funnel = next(picture for picture in live.pictures if isinstance(picture, FunnelPicture))
    first = np.asarray(live.frame(model))
    for _ in range(30):
        model.step()
    last = np.asarray(live.frame(model))
    assert funnel.headline.get_text().startswith("pilots scaled: ")
    assert [text.get_text() for text in funnel.counts][0] == str(len(model.pilots)) != "0"
    assert live.figure.get_suptitle() == title and not np.array_equal(first, last)
