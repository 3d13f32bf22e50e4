"""Regression references: the headline figures of every shipped scenario at a fixed seed.

`headline.json` holds, per shipped scenario, the summary figures of one run with seed `SEED`.
tests/test_regression.py reruns them and fails, naming each figure that moved and by how much, when a change
moves any. When a change is meant to move them, rewrite the file and say what moved and why in CHANGELOG.md:

    .venv/bin/python -m tests.references            # rewrite tests/references/headline.json
    .venv/bin/python -m tests.references --check    # only print what moved (exit 1 if anything did)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

SEED = 1
FILE = Path(__file__).with_name("headline.json")
RELATIVE_TOLERANCE = 1e-9
"""Figures are stored to 10 significant digits; the same code gives the same bits, so anything beyond this
rounding is a change."""


def headline(name: str, overrides: list[str] | None = None) -> dict[str, float | int]:
    """The scalar summary figures of the shipped scenario `name`, run with seed SEED."""
    import sim
    from sim.output import rounded

    result = sim.run(sim.load_scenario(name, overrides or []), seed=SEED)
    return {
        key: rounded(value)
        for key, value in sorted(result.summary.items())
        if isinstance(value, int | float) and not isinstance(value, bool) and key not in {"seed", "weeks"}
    }


def all_headlines(overrides: list[str] | None = None) -> dict[str, dict[str, float | int]]:
    """Every shipped scenario's headline figures."""
    from sim.scenario import shipped_scenarios

    return {name: headline(name, overrides) for name in shipped_scenarios()}


def moved(reference: dict, current: dict) -> list[str]:
    """Each figure that differs between the reference and now, as 'scenario: figure reference -> now (change)'."""
    lines = []
    for name in sorted(reference.keys() | current.keys()):
        before, after = reference.get(name), current.get(name)
        if before is None or after is None:
            lines.append(f"{name}: {'new scenario' if before is None else 'scenario gone'}")
            continue
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            if old is None or new is None:
                lines.append(f"{name}: {key} {'added' if old is None else 'removed'}")
            elif not math.isclose(old, new, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12):
                relative = f", {(new - old) / abs(old):+.1%}" if old else ""
                lines.append(f"{name}: {key} {old:g} -> {new:g} ({new - old:+g}{relative})")
    return lines


def read(path: Path = FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(data: dict, path: Path = FILE) -> None:
    from sim.files import write_text

    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    write_text(path, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.references", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="print what moved, write nothing (exit 1 if any)")
    parser.add_argument("--out", type=Path, default=FILE, help=f"where to write (default {FILE})")
    args = parser.parse_args(argv)
    current = all_headlines()
    changes = moved(read(args.out), current) if args.out.exists() else ["no reference file yet"]
    print("\n".join(changes) if changes else "no figure moved")
    if args.check:
        return 1 if changes else 0
    write(current, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
