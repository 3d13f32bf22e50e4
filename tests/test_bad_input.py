"""Never delete a user's files, and every bad input exits 2 (issue 10): output folders that are not an
earlier output of the same command are left alone, names cannot steer output outside outputs/, and hostile
or corrupted files (YAML bombs, non-UTF-8 bytes, deep nesting, hand-edited results, sizes beyond the
machine) stop with exit code 2, a message naming the file or option, and no traceback."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import resources
from sim.errors import InputError
from sim.experiments.compare import load_comparison
from sim.experiments.design import load_experiment
from sim.output import default_output, slug
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
POPULATION = ROOT / "scenarios" / "population.yaml"
TINY = ["--set", "firm.employees=30", "--weeks", "2", "-q"]
"""A run small enough to take a fraction of a second."""

BILLION_LAUGHS = "\n".join(
    [
        "name: laughs",
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)),
        "description: *a8",
        "",
    ]
)
"""The issue's file: nine levels of nine aliases each, 9^9 strings once expanded (a few hundred bytes)."""


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, to show nothing was touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def user_folder(tmp_path: Path, name: str = "mine") -> Path:
    """A folder of the user's own, with a file in it."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "keep.txt").write_text("my thesis\n", encoding="utf-8")
    return folder


def assert_refused(result, *fragments: str) -> str:
    """Exit 2, no traceback, each fragment in the message; returns the message."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def tiny_scenario(folder: Path, **fields) -> Path:
    """A 30-person, 3-week scenario extending the baseline."""
    data = {"extends": str(BASELINE), "name": "tiny", "weeks": 3, "firm": {"employees": 30}, **fields}
    return write(folder / "tiny.yaml", yaml.safe_dump(data, sort_keys=False))


def tiny_comparison(folder: Path, **fields) -> Path:
    base = tiny_scenario(folder)
    data = {
        "name": "tiny-comparison",
        "base": base.name,
        "replicates": 2,
        "arms": [{"name": "training", "interventions": [{"kind": "training", "start": 1}]}],
        **fields,
    }
    return write(folder / "comparison.yaml", yaml.safe_dump(data, sort_keys=False))


def tiny_experiment(folder: Path, **fields) -> Path:
    base = tiny_scenario(folder)
    data = {
        "name": "tiny-experiment",
        "base": base.name,
        "factors": {"firm.levers.culture": {"values": [0.2, 0.8]}},
        "design": "grid",
        "outcomes": ["pilots_started"],
        **fields,
    }
    return write(folder / "experiment.yaml", yaml.safe_dump(data, sort_keys=False))


# --- Data loss ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["run", "baseline", *TINY],
        ["compare", "{comparison}", "-q"],
        ["validate", "population", "--replicates", "2", "-q"],
        ["sweep", "{experiment}", "-q", "--workers", "1"],
        ["calibrate", "population", "--budget", "1", "-q", "--workers", "1"],
    ],
    ids=lambda c: c[0],
)
def test_a_folder_of_the_users_is_never_replaced(cli, tmp_path, command):
    mine = user_folder(tmp_path)
    before = listing(mine)
    files = {"comparison": tiny_comparison(tmp_path), "experiment": tiny_experiment(tmp_path)}
    args = [a.format(**files) for a in command]
    message = assert_refused(cli(*args, "--out", mine), f"--out {mine}", "not empty", "--force")
    assert "adoptsim" in message
    assert listing(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_force_replaces_the_folder(cli, tmp_path):
    mine = user_folder(tmp_path)
    assert cli("run", "baseline", *TINY, "--out", mine, "--force").exit_code == 0
    assert not (mine / "keep.txt").exists() and (mine / "summary.json").is_file()


def test_an_earlier_output_of_the_same_command_is_replaced_and_another_commands_is_not(cli, tmp_path):
    out = tmp_path / "results"
    assert cli("run", "baseline", *TINY, "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["command_kind"] == "run"
    (out / "stale.txt").write_text("left by the earlier run's user", encoding="utf-8")
    assert cli("run", "baseline", *TINY, "--out", out).exit_code == 0
    assert not (out / "stale.txt").exists()
    before = listing(out)
    assert_refused(cli("compare", tiny_comparison(tmp_path), "-q", "--out", out), "output of adoptsim run")
    assert listing(out) == before


def test_an_output_written_before_manifests_named_their_command_is_recognised(cli, tmp_path):
    out = tmp_path / "old-run"
    out.mkdir()
    for name in ("manifest.json", "summary.json"):
        write(out / name, "{}\n")
    write(out / "timeseries.csv", "week\n")
    assert cli("run", "baseline", *TINY, "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["command_kind"] == "run"


def test_the_working_folder_is_never_an_output_folder(cli, tmp_path, monkeypatch):
    mine = user_folder(tmp_path)
    monkeypatch.chdir(mine)
    before = listing(mine)
    assert_refused(cli("run", "baseline", *TINY, "--out", ".", "--force"), "working folder")
    assert_refused(cli("run", "baseline", *TINY, "--out", str(tmp_path), "--force"), "working folder")
    assert listing(mine) == before


@pytest.mark.parametrize("command", [["run", "baseline", *TINY], ["compare", "{comparison}", "-q"]], ids=str)
def test_an_empty_out_is_refused(cli, tmp_path, monkeypatch, command):
    mine = user_folder(tmp_path)
    monkeypatch.chdir(mine)
    args = [a.format(comparison=tiny_comparison(tmp_path)) for a in command]
    before = listing(mine)
    assert_refused(cli(*args, "--out", ""), '--out ""', "empty")
    assert listing(mine) == before


@pytest.mark.parametrize("name", ["../victim", "/tmp/../victim", "..", "victim/../../victim", ". /x"])
def test_a_name_cannot_steer_the_default_output_outside_outputs(cli, tmp_path, monkeypatch, name):
    victim = user_folder(tmp_path, "victim")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = listing(victim)
    scenario = tiny_scenario(tmp_path, name=name)
    result = cli("run", scenario, "-q")
    assert result.exit_code == 0, result.stderr
    assert listing(victim) == before
    written = [p for p in (work / "outputs").iterdir()]
    assert len(written) == 1 and (written[0] / "summary.json").is_file()
    assert written[0].resolve().parent == (work / "outputs").resolve()


def test_a_comparison_name_cannot_steer_the_default_output_outside_outputs(cli, tmp_path, monkeypatch):
    victim = user_folder(tmp_path, "victim")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = listing(victim)
    result = cli("compare", tiny_comparison(tmp_path, name=str(victim)), "-q")
    assert result.exit_code == 0, result.stderr
    assert listing(victim) == before
    assert [p.parent.resolve() for p in (work / "outputs").iterdir()] == [(work / "outputs").resolve()]


def test_slugs_are_single_safe_folder_names():
    for name in ["../x", "/etc/passwd", "..", "", "a/b\\c", "\x00", "é" * 300, " .hidden", "-"]:
        path = default_output(name)
        assert path.parent == Path("outputs") and path.name not in ("", ".", "..")
        assert "/" not in path.name and not path.name.startswith(".") and len(path.name) <= 80
    assert slug("baseline") == "baseline" and slug("my firm 2") == "my-firm-2"


def test_a_killed_runs_staging_folders_are_removed_by_the_next_run(cli, tmp_path):
    out = tmp_path / "results"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [
        tmp_path / f".results.partial-{dead.pid}-abc",
        tmp_path / ".results.partial-x1y2",
        tmp_path / ".results.old-q",
    ]
    for folder in stale:
        folder.mkdir()
        write(folder / "summary.json", "{}")
    other = tmp_path / ".other.partial-x1y2"
    other.mkdir()
    assert cli("run", "baseline", *TINY, "--out", out).exit_code == 0
    assert not any(folder.exists() for folder in stale)
    assert other.exists(), "staging folders of another output are not this run's to remove"


def test_report_refuses_a_staging_folder(cli, tmp_path):
    staging = tmp_path / ".results.partial-123-abc"
    staging.mkdir()
    write(staging / "summary.json", "{}")
    before = listing(staging)
    assert_refused(cli("report", staging), str(staging), "temporary folder")
    assert listing(staging) == before


# --- Hostile YAML -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["description", "firm.name"])
def test_a_billion_laughs_is_refused_before_it_is_built(tmp_path, field):
    text = BILLION_LAUGHS if field == "description" else BILLION_LAUGHS.replace("description: *a8", "firm: {name: *a8}")
    bomb = write(tmp_path / "bomb.yaml", text)
    assert len(text.encode()) < 700
    started = time.perf_counter()
    with pytest.raises(InputError, match="aliases"):
        load_scenario(bomb)
    assert time.perf_counter() - started < 0.5


def test_a_billion_laughs_exits_2(cli, tmp_path):
    bomb = write(tmp_path / "bomb.yaml", BILLION_LAUGHS)
    assert_refused(cli("scenarios", "check", bomb), str(bomb), "aliases", "10,000")


def test_modest_aliases_still_work(tmp_path):
    text = "extends: {}\nfirm: &f {{employees: 40}}\ninterventions:\n  - &t {{kind: training, start: 2}}\n  - *t\n"
    scenario = load_scenario(write(tmp_path / "ok.yaml", text.format(BASELINE)))
    assert len(scenario.interventions) == 2 and scenario.firm.employees == 40


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    with pytest.raises(InputError, match="alias"):
        load_scenario(write(tmp_path / "loop.yaml", "description: &a [1, *a]\n"))


NOT_UTF8 = {
    "latin-1": "name: Café Müller\n".encode("latin-1"),
    "random": bytes([0xFF, 0xFE, 0x00, 0x81, 0xC3, 0x28]) + bytes(range(200, 256)),
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
}


@pytest.mark.parametrize("kind", NOT_UTF8)
def test_a_non_utf8_scenario_is_refused(cli, tmp_path, kind):
    bad = write(tmp_path / "bad.yaml", NOT_UTF8[kind])
    assert_refused(cli("scenarios", "check", bad), str(bad), "not UTF-8")
    assert_refused(cli("run", bad, "--out", tmp_path / "o"), str(bad), "not UTF-8")
    assert not (tmp_path / "o").exists()


def test_a_non_utf8_base_is_refused_wherever_it_is_named(cli, tmp_path):
    bad = write(tmp_path / "base.yaml", NOT_UTF8["latin-1"])
    child = write(tmp_path / "child.yaml", "extends: base.yaml\n")
    assert_refused(cli("scenarios", "check", child), str(bad), "not UTF-8")
    experiment = tiny_experiment(tmp_path)
    experiment.write_text(experiment.read_text().replace("base: tiny.yaml", "base: base.yaml"), encoding="utf-8")
    assert_refused(cli("sweep", experiment, "--out", tmp_path / "s"), str(bad), "not UTF-8")
    comparison = tiny_comparison(tmp_path)
    comparison.write_text(comparison.read_text().replace("base: tiny.yaml", "base: base.yaml"), encoding="utf-8")
    assert_refused(cli("compare", comparison, "--out", tmp_path / "c"), str(bad), "not UTF-8")
    assert_refused(cli("calibrate", bad, "--out", tmp_path / "f"), str(bad), "not UTF-8")


@pytest.mark.parametrize("command", ["sweep", "compare"])
def test_a_non_utf8_experiment_or_comparison_is_refused(cli, tmp_path, command):
    bad = write(tmp_path / "bad.yaml", NOT_UTF8["elf"])
    assert_refused(cli(command, bad, "--out", tmp_path / "o"), str(bad), "not UTF-8")
    assert not (tmp_path / "o").exists()


DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    "text",
    [f"description: {DEEP}\n", f"firm:\n  name: {DEEP}\n", "- " * 20_000 + "x\n"],
    ids=["flow", "under-firm", "block"],
)
def test_deep_nesting_is_refused(cli, tmp_path, text):
    bad = write(tmp_path / "deep.yaml", text)
    assert_refused(cli("scenarios", "check", bad), str(bad), "nest")


def test_deep_nesting_in_experiments_comparisons_and_set_values_is_refused(cli, tmp_path):
    for command in ("sweep", "compare"):
        bad = write(tmp_path / f"{command}.yaml", f"name: deep\nbase: baseline\narms: {DEEP}\n")
        assert_refused(cli(command, bad, "--out", tmp_path / "o"), str(bad), "nest")
    result = cli("run", "baseline", "--set", f"interventions={DEEP[:40_000]}", "--out", tmp_path / "o")
    assert_refused(result, "--set 'interventions=[[[", "valid list")
    assert not (tmp_path / "o").exists()
    assert load_scenario("baseline", [f"description={DEEP[:4000]}"]).description == DEEP[:4000]  # text stays text


def test_non_plain_tags_are_refused(tmp_path):
    for tag in ("!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2020-01-01", "!!python/name:os.system"):
        with pytest.raises(InputError, match="not allowed|not valid YAML"):
            load_scenario(write(tmp_path / "tag.yaml", f"description: {tag}\n"))


def test_a_date_like_value_stays_text(tmp_path):
    assert load_scenario(write(tmp_path / "date.yaml", "description: 2020-13-45\n")).description == "2020-13-45"


# --- --set into lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ["interventions.0=foo", "interventions.3.intensity=0.5"])
def test_set_into_a_missing_list_item_is_refused(cli, tmp_path, assignment):
    out = tmp_path / "o"
    assert_refused(cli("run", "baseline", "--set", assignment, "--out", out), f"--set '{assignment}'", "no item")
    comparison = tiny_comparison(tmp_path)
    assert_refused(cli("compare", comparison, "--set", assignment, "--out", out), "--set", "no item")
    assert not out.exists()


def test_an_experiments_set_into_a_missing_list_item_is_refused(cli, tmp_path):
    experiment = tiny_experiment(tmp_path, set={"interventions.0": "x"})
    assert_refused(cli("sweep", experiment, "--out", tmp_path / "o"), str(experiment), "set.interventions.0", "no item")
    assert not (tmp_path / "o").exists()


# --- Corrupted results --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [("summary.json", "[]"), ("summary.json", '{"pilots_scaled": "x"}'), ("comparison.json", "{}")],
)
def test_report_of_a_hand_corrupted_result_exits_2(cli, tmp_path, name, text):
    folder = tmp_path / "results"
    folder.mkdir()
    write(folder / name, text)
    before = listing(folder)
    assert_refused(cli("report", folder), str(folder / name))
    assert listing(folder) == before


@pytest.mark.parametrize("text", ["[]", "{}", '{"sha256": "x", "experiment": [], "base_scenario": 3}', "[" * 5000])
def test_a_hand_corrupted_experiment_json_exits_2(cli, tmp_path, text):
    folder = tmp_path / "sweep"
    (folder / "parts").mkdir(parents=True)
    write(folder / "experiment.json", text)
    before = listing(folder)
    assert_refused(cli("sensitivity", folder), str(folder / "experiment.json"))
    assert_refused(cli("sweep", tiny_experiment(tmp_path), "--out", folder, "-q"), str(folder))
    assert listing(folder) == before


@pytest.mark.parametrize("text", ["garbage\n", "[1, 2]\n", '{"op_code": 0}\n', '{"op_code": 99}\n'])
def test_garbage_in_a_calibration_journal_exits_2(cli, tmp_path, text):
    folder = tmp_path / "fit"
    folder.mkdir()
    write(folder / "study.journal", text)
    args = ["calibrate", "population", "--out", folder, "--budget", "1", "--firms", "2", "--replicates", "1"]
    assert_refused(cli(*args, "--workers", "1", "-q"), str(folder / "study.journal"))


# --- Sizes --------------------------------------------------------------------------------------------------


def test_a_population_that_cannot_fit_in_memory_is_refused_with_the_estimate(cli, tmp_path):
    bands = {b: {"share": 0, "employees": [20, 200]} for b in ("under-100m", "100m-1b", "1b-5b")}
    bands["over-5b"] = {"share": 1, "employees": [200_000, 200_000]}
    huge = write(
        tmp_path / "huge.yaml", yaml.safe_dump({"name": "huge", "population": {"firms": 5000, "bands": bands}})
    )
    out = tmp_path / "o"
    assert_refused(cli("run", huge, "--out", out), str(huge), "1,000,000,000 employees", "GB", "--force")
    assert_refused(cli("validate", huge, "--out", out, "--workers", "1"), str(huge), "GB", "--force")
    assert not out.exists()


def test_employee_snapshots_beyond_memory_are_refused_unless_forced(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "available_memory", lambda: 4_000_000_000)
    args = ["run", "baseline", "--set", "firm.employees=200000", "--weeks", "520", "--employees", "1"]
    assert_refused(cli(*args, "--out", tmp_path / "o"), "baseline", "200,000 employees", "--employees", "GB")
    assert not (tmp_path / "o").exists()
    spec = load_scenario("baseline", ["firm.employees=200000", "weeks=520"])
    resources.check_run_fits(spec, 1, force=True, available=4_000_000_000)  # --force lets it through
    resources.check_run_fits(spec, None, force=False, available=4_000_000_000)  # without snapshots it fits


def test_the_memory_estimate_follows_the_population_drawn():
    import numpy as np

    from sim.population import draw_firms

    spec = load_scenario(POPULATION, ["population.firms=400"])
    drawn = sum(f.employees for f in draw_firms(spec, np.random.default_rng(1)))
    assert 0.8 < resources.expected_employees(spec) / drawn < 1.25


# --- Messages -----------------------------------------------------------------------------------------------


def test_a_bad_set_value_is_blamed_on_the_set_not_the_file(cli, tmp_path):
    message = assert_refused(
        cli("run", "baseline", "--set", "firm.levers.culture=1.5", "--out", tmp_path / "o"),
        "--set 'firm.levers.culture=1.5'",
        "firm.levers.culture",
        "1.5",
        "from 0 to 1",
    )
    assert "baseline.yaml" not in message


def test_nan_is_not_a_number(cli, tmp_path):
    bad = write(tmp_path / "nan.yaml", "firm:\n  levers:\n    culture: .nan\n")
    assert_refused(
        cli("run", bad, "--out", tmp_path / "o"), str(bad), "firm.levers.culture", "is not a number", "0 to 1"
    )
    assert_refused(cli("run", "baseline", "--set", "weeks=.nan", "--out", tmp_path / "o"), "--set", "is not a number")


def test_a_range_error_gives_the_whole_range(cli, tmp_path):
    assert_refused(
        cli("run", "baseline", "--set", "firm.employees=5", "--out", tmp_path / "o"), "from 10 to 200,000", "Head count"
    )


def test_an_empty_experiment_says_what_is_missing(cli, tmp_path):
    empty = write(tmp_path / "empty.yaml", "")
    message = assert_refused(cli("sweep", empty, "--out", tmp_path / "o"), str(empty), "base", "missing")
    assert "{'name'" not in message


def test_a_bad_base_file_in_a_sweep_is_blamed_on_the_base_file(cli, tmp_path):
    base = write(tmp_path / "bad-base.yaml", "firm:\n  levers:\n    culture: 1.5\n")
    experiment = tiny_experiment(tmp_path, base=base.name, set={"weeks": 3})
    message = assert_refused(cli("sweep", experiment, "--out", tmp_path / "o"), f"{base}: field firm.levers.culture")
    assert "field set" not in message


def test_a_bad_value_in_an_experiments_set_is_blamed_on_the_set(cli, tmp_path):
    experiment = tiny_experiment(tmp_path, set={"firm.levers.culture": 7})
    assert_refused(
        cli("sweep", experiment, "--out", tmp_path / "o"), f"{experiment}: field set.firm.levers.culture", "7"
    )


def test_reversed_band_head_counts_are_refused(cli, tmp_path):
    bad = write(
        tmp_path / "bands.yaml",
        "population:\n  bands:\n    under-100m: {share: 1, employees: [200, 20]}\n",
    )
    assert_refused(cli("scenarios", "check", bad), str(bad), "population", "reversed", "under-100m [200, 20]")


def test_a_team_larger_than_the_firm_is_refused(cli, tmp_path):
    result = cli("run", "baseline", "--set", "firm.team_size=5000", "--out", tmp_path / "o")
    assert_refused(result, "--set 'firm.team_size=5000'", "team_size 5000", "employees 1000")


@pytest.mark.parametrize("command", ["run", "compare"])
def test_ctrl_c_prints_a_line_and_exits_130(cli, tmp_path, monkeypatch, command):
    import sim.cli.compare
    import sim.cli.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(getattr(sim.cli, command), "run_with_progress", interrupted)
    out = tmp_path / "o"
    source = "baseline" if command == "run" else tiny_comparison(tmp_path)
    result = cli(command, source, "--out", out)
    assert result.exit_code == 130 and "interrupted" in result.stderr and str(out) in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]


# --- animate: the user's files ------------------------------------------------------------------------------

ANIMATE = ["animate", "baseline", "--set", "firm.employees=30", "--weeks", "1"]
"""A two-frame GIF of a 30-person firm: well under a second."""


def test_animate_never_overwrites_a_file_of_the_users(cli, tmp_path):
    mine = user_folder(tmp_path)
    slides = write(mine / "slides.gif", b"GIF89a my own slides")
    before = listing(mine)
    message = assert_refused(cli(*ANIMATE, "--out", slides), f"--out {slides}", "exists", "--force")
    assert "replace" in message
    assert listing(mine) == before


def test_animate_with_force_replaces_the_file_and_leaves_nothing_else(cli, tmp_path):
    mine = user_folder(tmp_path)
    slides = write(mine / "slides.gif", b"GIF89a my own slides")
    result = cli(*ANIMATE, "--out", slides, "--force")
    assert result.exit_code == 0, result.stderr
    assert slides.read_bytes().startswith(b"GIF8") and slides.stat().st_size > 1000
    assert sorted(p.name for p in mine.iterdir()) == ["keep.txt", "slides.gif"]


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
def test_animate_refuses_an_empty_out_and_a_folder(cli, tmp_path, monkeypatch, force):
    mine = user_folder(tmp_path)
    monkeypatch.chdir(mine)
    before = listing(tmp_path)
    assert_refused(cli(*ANIMATE, "--out", "", *force), '--out ""', "empty", ".gif")
    assert_refused(cli(*ANIMATE, "--out", mine, *force), f"--out {mine}", "is a folder", ".gif")
    assert_refused(cli(*ANIMATE, "--out", mine / "keep.txt" / "x.gif", *force), "keep.txt", "not a folder")
    assert_refused(cli(*ANIMATE, "--out", "my\0slides.gif", *force), "NUL")
    assert_refused(cli(*ANIMATE, "--out", mine / "keep.txt", *force), "keep.txt", "ending in .gif")
    assert listing(tmp_path) == before
    assert sorted(p.name for p in mine.iterdir()) == ["keep.txt"]


def test_animate_refuses_what_is_not_a_file_even_with_force(cli, tmp_path):
    import os

    fifo = tmp_path / "pipe.gif"
    os.mkfifo(fifo)
    assert_refused(cli(*ANIMATE, "--out", fifo, "--force"), f"--out {fifo}", "not a regular file")
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe.gif"]


def test_a_file_that_appears_while_animating_is_not_overwritten(tmp_path):
    from sim.animate import staged_file

    out = tmp_path / "slides.gif"
    with pytest.raises(InputError, match="exists already"):
        with staged_file(out) as staging:
            staging.write_bytes(b"GIF89a the animation")
            out.write_bytes(b"written meanwhile")
    assert out.read_bytes() == b"written meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["slides.gif"]


def test_ctrl_c_while_animating_leaves_the_earlier_file(cli, tmp_path, monkeypatch):
    import sim.animate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    slides = write(tmp_path / "slides.gif", b"GIF89a my own slides")
    monkeypatch.setattr(sim.animate, "later_frames", interrupted)
    result = cli(*ANIMATE, "--out", slides, "--force")
    assert result.exit_code == 130 and "interrupted" in result.stderr and str(slides) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert slides.read_bytes() == b"GIF89a my own slides"
    assert [p.name for p in tmp_path.iterdir()] == ["slides.gif"]


# --- calibrate: memory --------------------------------------------------------------------------------------


def huge_population(folder: Path) -> Path:
    """A population whose every firm has 200,000 employees."""
    bands = {b: {"share": 0, "employees": [20, 200]} for b in ("under-100m", "100m-1b", "1b-5b")}
    bands["over-5b"] = {"share": 1, "employees": [200_000, 200_000]}
    document = {"name": "huge", "population": {"firms": 5000, "bands": bands}}
    return write(folder / "huge.yaml", yaml.safe_dump(document))


@pytest.fixture
def calibration_stub(monkeypatch):
    """1.5 GB of memory available, and a calibration that stops with a message as soon as it is reached."""
    import sim.experiments.calibrate

    def reached(*args, **kwargs):
        raise InputError("the calibration started")

    monkeypatch.setattr(resources, "available_memory", lambda: 1_500_000_000)
    monkeypatch.setattr(sim.experiments.calibrate, "calibrate", reached)


def test_calibrate_estimates_memory_for_the_firms_it_runs_on_its_workers(cli, tmp_path, calibration_stub):
    huge = huge_population(tmp_path)
    mine = user_folder(tmp_path)
    before = listing(tmp_path)
    args = ["calibrate", huge, "--budget", "1", "-q", "--out", mine]
    # 40 firms of 200,000, not the file's 5,000: the estimate is of the population as calibrated.
    message = assert_refused(
        cli(*args, "--firms", "40", "--workers", "2"), str(huge), "--firms 40", "8,000,000 employees", "2 processes"
    )
    assert "GB" in message and "--force" in message
    assert listing(tmp_path) == before
    # Two firms fit in one process (about 0.6 GB), not in four at once: every worker holds a run.
    assert_refused(cli(*args, "--firms", "2", "--workers", "4", "--replicates", "1"), "4 processes", "GB")
    assert listing(tmp_path) == before


def test_calibrate_runs_what_fits(cli, tmp_path, calibration_stub):
    huge = huge_population(tmp_path)
    args = ["calibrate", huge, "--budget", "1", "-q", "--out", tmp_path / "o", "--replicates", "1"]
    assert_refused(cli(*args, "--firms", "2", "--workers", "1"), "the calibration started")
    assert_refused(cli(*args, "--firms", "2", "--workers", "2"), "the calibration started")
    assert_refused(cli(*args, "--firms", "40", "--workers", "1", "--force"), "the calibration started")


# --- Fuzzing the loaders ------------------------------------------------------------------------------------

WORDS = [
    "name", "description", "weeks", "firm", "employees", "team_size", "levers", "culture", "infrastructure",
    "params", "interventions", "kind", "start", "intensity", "cost", "population", "firms", "bands", "under-100m",
    "share", "base", "arms", "replicates", "seed", "factors", "design", "values", "range", "set", "outcomes",
    "timeseries", "heatmap", "metrics", "extends", "firm.levers.culture", "interventions.0", "grid", "lhs",
    "training", "mandate", "baseline", str(BASELINE), "1e999", ".nan", "-.inf", "2020-13-45", "&a", "*a", "!!set",
]
"""Field names and values of real files, so that random documents reach past the first checks."""
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=30,
)
YAML_TEXT = st.one_of(
    DOCUMENTS.map(lambda d: yaml.safe_dump(d, sort_keys=False)),
    st.lists(st.sampled_from(list("[]{}:&*!-?|>'\"#,\n %@`ab01.\t\\") + WORDS), max_size=40).map("".join),
    st.lists(st.sampled_from(WORDS), max_size=8).map(lambda w: "\n".join(f"{a}: {b}" for a, b in zip(w, w[1:]))),  # noqa: B905
)
EXPERIMENT = {
    "base": str(BASELINE),
    "set": {"firm.employees": 30, "weeks": 3},
    "factors": {"firm.levers.culture": {"values": [0.2, 0.8]}},
    "design": "grid",
    "outcomes": ["pilots_started"],
}
COMPARISON = {
    "base": str(BASELINE),
    "replicates": 2,
    "arms": [{"name": "training", "interventions": [{"kind": "training", "start": 1}]}],
}
MUTATED = st.tuples(st.sampled_from([EXPERIMENT, COMPARISON]), st.sampled_from(WORDS), DOCUMENTS).map(
    lambda t: yaml.safe_dump({**t[0], t[1]: t[2]}, sort_keys=False)
)
"""A valid experiment or comparison with one field replaced by something random: reaches the later checks."""
LOADERS = {"scenario": load_scenario, "experiment": load_experiment, "comparison": load_comparison}
FUZZ = settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])


def load_or_refuse(path: Path) -> None:
    """Each loader either accepts the file or raises InputError; nothing else may escape."""
    for loader in LOADERS.values():
        try:
            loader(path)
        except InputError:
            pass


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_are_loaded_or_refused(tmp_path, data):
    load_or_refuse(write(tmp_path / "fuzz.yaml", data))


@FUZZ
@given(text=st.one_of(YAML_TEXT, MUTATED))
def test_random_yaml_is_loaded_or_refused(tmp_path, text):
    load_or_refuse(write(tmp_path / "fuzz.yaml", text))


@pytest.mark.parametrize("seed", range(5))
def test_scenarios_check_of_random_files_exits_0_or_2(cli, tmp_path, seed):
    import random

    rng = random.Random(seed)
    files = [
        write(tmp_path / "bytes.yaml", rng.randbytes(200)),
        write(tmp_path / "yaml.yaml", yaml.safe_dump({rng.choice(WORDS): rng.choice(WORDS) for _ in range(6)})),
    ]
    for path in files:
        result = cli("scenarios", "check", path)
        assert result.exit_code in (0, 2) and "Traceback" not in result.stderr, result.stderr


def test_the_real_entry_point_refuses_random_bytes_without_a_traceback(tmp_path):
    import random
    import sys

    path = write(tmp_path / "bytes.yaml", random.Random(7).randbytes(300))
    result = subprocess.run(
        [sys.executable, "-m", "sim", "scenarios", "check", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr
