"""Bad input stops with exit code 2, a message naming file, field, value and what is allowed,
no traceback, and no output folder left behind (DESIGN.md section 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_refused(result, out: Path, *fragments: str) -> None:
    """Exit 2, each fragment in the message, no traceback, nothing written."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    message = result.stderr
    assert "Traceback" not in message + result.stdout
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "results"


def test_missing_file(cli, out: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert_refused(cli("run", missing, "--out", out), out, str(missing), "no such scenario file", "baseline")


def test_malformed_yaml(cli, out: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "name: x\nfirm:\n  employees: [1, 2\n")
    assert_refused(cli("run", bad, "--out", out), out, str(bad), "not valid YAML", "line")


def test_unknown_field_suggests_the_nearest(cli, out: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "typo.yaml", "firm:\n  levers:\n    infrastucture: 0.5\n")
    assert_refused(
        cli("run", bad, "--out", out),
        out,
        str(bad),
        "firm.levers.infrastucture",
        "Did you mean 'firm.levers.infrastructure'",
        "culture",
    )


def test_value_out_of_range(cli, out: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "range.yaml", "firm:\n  levers:\n    culture: 1.5\n")
    assert_refused(
        cli("run", bad, "--out", out), out, str(bad), "firm.levers.culture", "1.5", "less than or equal to 1"
    )


def test_wrong_type(cli, out: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "type.yaml", "firm:\n  employees: lots\n")
    assert_refused(
        cli("run", bad, "--out", out), out, str(bad), "firm.employees", "'lots'", "valid integer", "Head count"
    )


def test_unknown_industry_lists_the_allowed(cli, out: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "industry.yaml", "firm:\n  industry: mining\n")
    assert_refused(cli("run", bad, "--out", out), out, str(bad), "firm.industry", "'mining'", "technology")


def test_unknown_base_to_extend(cli, out: Path, tmp_path: Path) -> None:
    write(tmp_path / "other.yaml", "name: other\n")
    bad = write(tmp_path / "child.yaml", "extends: basline.yaml\n")
    assert_refused(cli("run", bad, "--out", out), out, str(bad), "extends", "basline.yaml", "other.yaml")


def test_extends_cycle(cli, out: Path, tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    bad = write(tmp_path / "b.yaml", "extends: a.yaml\n")
    assert_refused(cli("run", bad, "--out", out), out, "extends", "cycle")


@pytest.mark.parametrize(
    ("assignment", "fragments"),
    [
        ("firm.levers.cultur=0.5", ("--set", "firm.levers.cultur", "Did you mean 'firm.levers.culture'")),
        ("firm.levers.culture=high", ("firm.levers.culture", "'high'", "valid number")),
        ("firm.levers.culture", ("--set", "expected PATH=VALUE")),
        ("weeks.total=3", ("--set", "'weeks' is a value")),
        ("firm.employees=5", ("firm.employees", "5", "greater than or equal to 10")),
    ],
)
def test_bad_set(cli, out: Path, assignment: str, fragments: tuple[str, ...]) -> None:
    assert_refused(cli("run", "baseline", "--set", assignment, "--out", out), out, *fragments)


def test_unwritable_output_folder(cli, tmp_path: Path) -> None:
    blocker = write(tmp_path / "a-file", "not a folder")
    out = blocker / "results"
    result = cli("run", "baseline", "--weeks", "2", "--out", out)
    assert result.exit_code == 2 and "cannot write there" in result.stderr and str(out) in result.stderr
    assert "Traceback" not in result.stderr


def test_output_path_that_is_a_file(cli, tmp_path: Path) -> None:
    target = write(tmp_path / "taken", "data")
    result = cli("run", "baseline", "--weeks", "2", "--out", target)
    assert result.exit_code == 2 and "not a folder" in result.stderr
    assert target.read_text() == "data"


def test_bad_option_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", "baseline", "--weeks", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "--weeks" in result.stderr and "Traceback" not in result.stderr


def test_console_error_has_no_traceback(tmp_path: Path) -> None:
    """The real entry point (not the in-process runner) prints one message and exits 2."""
    bad = write(tmp_path / "bad.yaml", "weeks: -3\n")
    result = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "weeks" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_scenarios_check_reports_invalid_files(cli, tmp_path: Path) -> None:
    good = write(
        tmp_path / "good.yaml", "extends: " + str(Path(__file__).parent.parent / "scenarios" / "baseline.yaml") + "\n"
    )
    bad = write(tmp_path / "bad.yaml", "firm:\n  mandate: 2\n")
    assert cli("scenarios", "check", good).exit_code == 0
    result = cli("scenarios", "check", good, bad)
    assert result.exit_code == 2 and "firm.mandate" in result.stderr
