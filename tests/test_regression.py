"""Regression references (tests/references): every shipped scenario's headline figures at a fixed seed.

A change that moves any of them fails here, naming each figure that moved and by how much. When the move is
intended, rewrite them with `.venv/bin/python -m tests.references` and say in CHANGELOG.md what moved and why.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests import references


def test_the_shipped_scenarios_headline_figures_have_not_moved() -> None:
    changes = references.moved(references.read(), references.all_headlines())
    assert not changes, "figures moved (rewrite with `python -m tests.references` if intended):\n" + "\n".join(
        changes
    )


def test_a_changed_default_is_caught_and_the_rewrite_command_accepts_it(tmp_path: Path) -> None:
    """The mechanism itself: a deliberately changed parameter moves figures and the check names them; after
    the rewrite command writes the new figures, the same comparison passes."""
    changed = ["params.adoption.q=0.4"]  # peer influence five times the default
    stored = references.read()
    now = {"baseline": references.headline("baseline", changed)}
    changes = references.moved({"baseline": stored["baseline"]}, now)
    assert any(line.startswith("baseline: usage_rate ") and "->" in line for line in changes), changes

    out = tmp_path / "headline.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.references", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert references.moved(references.read(out), references.all_headlines()) == []
    references.write({"baseline": now["baseline"]}, out)
    assert references.moved(references.read(out), now) == []
