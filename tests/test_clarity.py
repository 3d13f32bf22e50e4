"""A report a board can read: one vocabulary (sim/terms.py, README.md Glossary) in the terminal, figures, app
and report; "clearly changed" only past a smallest meaningful difference; pilots started in every comparison
table; over-time panels on one y-axis; every figure also as byte-stable SVG through one saver; `extends:`
accepting shipped names as `base:` does; the report printable as it is."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

import sim  # noqa: E402
from sim import app as classroom_app  # noqa: E402
from sim import picture  # noqa: E402
from sim.classroom import ClassroomModel  # noqa: E402
from sim.experiments.compare import METRICS, load_comparison, run_comparison  # noqa: E402
from sim.experiments.compare_figures import over_time, verdict  # noqa: E402
from sim.files import save_figure  # noqa: E402
from sim.report import clear_direction  # noqa: E402
from sim.terms import GLOSSARY, glossary_markdown  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def is_term(label: str) -> bool:
    """A label is a glossary term, as is (or its plural), once a trailing explanation in brackets is dropped."""
    name = label.split(" (")[0].strip()
    return name in GLOSSARY or f"{name}s" in GLOSSARY


# --- one vocabulary -----------------------------------------------------------------------------------------


def test_the_readme_glossary_is_the_glossary():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert glossary_markdown() in readme


def test_comparison_figures_and_report_labels_are_glossary_terms():
    assert all(is_term(metric.label) for metric in METRICS.values()), [m.label for m in METRICS.values()]


def test_app_labels_are_glossary_terms():
    assert all(is_term(label) for label in classroom_app.RESULT_COLUMNS if label != "week")
    assert all(is_term(label) for label in picture.STATE_LABELS)
    assert all(is_term(label) for _, label, _ in picture.TrendsPicture.SERIES)
    model = ClassroomModel(base=sim.load_scenario("baseline", ["weeks=4"]), seed=1)
    model.step()
    counts = classroom_app.key_counts(model)
    assert counts and all(is_term(label) for label in counts), list(counts)


def test_the_terminal_summary_and_run_figure_use_glossary_terms(cli, tmp_path):
    result = cli("run", "baseline", "--weeks", "30", "--set", "firm.employees=200", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name in ("pilots started", "regular users", "adopters", "engaged adopters", "mean AI anxiety"):
        assert name in text
    assert "committed adopters" not in text and "proof of concept " not in text
    assert re.search(r"Of \d+ pilots started, \d+ \(\d+%\) reached production and \d+ \(\d+%\) were scrapped", text)
    result = sim.run(sim.load_scenario("baseline", ["firm.employees=200", "weeks=30"]), seed=1)
    fig = sim.plots.usage_against_engagement(result)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    plt.close(fig)
    assert labels and all(is_term(label) for label in labels), labels


def test_adopters_above_regular_users_are_explained_not_contradictory(cli, tmp_path):
    """The run whose summary shows more adopters than regular users says why in the same output."""
    result = cli("run", "baseline", "--seed", "1", "--out", tmp_path / "run")
    assert "Adopters (decided to use AI) can outnumber regular users" in " ".join(result.stdout.split())
    assert "adopters" in GLOSSARY and "outnumber regular users" in GLOSSARY["adopters"]


# --- smallest meaningful difference -------------------------------------------------------------------------


def row(metric: str, mean: float, low: float, high: float) -> dict:
    return {"metric": metric, "diff_mean": mean, "diff_ci_low": low, "diff_ci_high": high}


def test_a_tiny_but_certain_difference_is_not_a_clear_change():
    """Anxiety down by 0.003 with an interval excluding zero: below 0.01 on a 0-1 scale, not clear; down by 0.02,
    clearly better. A pilot count up by 0.6 is not clear; by 1.5, it is."""
    anxiety = {"better": "lower", "unit": "score", "meaningful": 0.01}
    assert clear_direction(row("mean_anxiety", -0.003, -0.005, -0.001), anxiety) == 0
    assert clear_direction(row("mean_anxiety", -0.02, -0.03, -0.01), anxiety) == 1
    assert clear_direction(row("mean_anxiety", 0.02, 0.01, 0.03), anxiety) == -1
    assert verdict(pd.Series(row("mean_anxiety", -0.003, -0.005, -0.001))) == "unclear"
    assert verdict(pd.Series(row("mean_anxiety", -0.02, -0.03, -0.01))) == "better"
    assert verdict(pd.Series(row("pilots_scaled", 0.6, 0.2, 1.0))) == "unclear"
    assert verdict(pd.Series(row("pilots_scaled", 1.5, 0.5, 2.5))) == "better"
    assert verdict(pd.Series(row("pilots_scaled", 1.5, -0.5, 3.5))) == "unclear"


# --- a small comparison: tables, figures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two very different arms (a mandate, and infrastructure) on a 240-person firm over 40 weeks, 3 replicates,
    written out by the command line with its report."""
    from typer.testing import CliRunner

    from sim.cli import app

    folder = tmp_path_factory.mktemp("clarity")
    arms = [
        {"name": "usage mandate", "interventions": [{"kind": "mandate", "start": 3, "intensity": 1.0, "cost": 1e5}]},
        {"name": "infrastructure", "interventions": [{"kind": "infrastructure", "start": 3, "cost": 2e6}]},
    ]
    spec = {"name": "small", "base": str(BASELINE), "replicates": 3, "arms": arms}
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = folder / "out"
    overrides = ["--set", "firm.employees=240", "--set", "weeks=40"]
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(path), "--out", str(out), *overrides, "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    return path, out


def test_pilots_started_is_in_every_comparison_table(small):
    _, out = small
    table = pd.read_csv(out / "comparison.csv")
    assert set(table[table["metric"] == "pilots_started"]["arm"]) == {"usage mandate", "infrastructure"}
    page = (out / "report.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table>.*?</table>", page, flags=re.S)
    results = [t for t in tables if "option better in" in t]
    assert len(results) == 2 and all("pilots started" in t for t in results)
    assert any("extra pilots started" in t for t in tables)


def test_over_time_panels_share_one_y_axis(small):
    """Usage under a full mandate climbs far above usage with infrastructure: on separate axes the panels
    would have different ranges; on one axis they have the same."""
    path, _ = small
    plan = load_comparison(path, ["firm.employees=240", "weeks=40"])
    results = run_comparison(plan)
    fig = over_time(plan, results, "usage_rate")
    limits = {ax.get_ylim() for ax in fig.axes if ax.get_visible()}
    peaks = [np.max(np.stack([o.traces["usage_rate"] for o in outcomes])) for outcomes in results.arms.values()]
    plt.close(fig)
    assert len(limits) == 1
    assert abs(peaks[0] - peaks[1]) > 0.05  # the arms do differ, so sharing is what makes the limits equal


def test_every_figure_is_also_svg_and_the_same_bytes_twice(small, tmp_path):
    _, out = small
    pngs = sorted((out / "figures").glob("*.png"))
    assert pngs and all(p.with_suffix(".svg").is_file() for p in pngs)

    def draw() -> plt.Figure:
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, 1, 0], label="a")
        ax.fill_between([0, 1, 2], [0, 0.5, 0], [0, 1.5, 0], alpha=0.2)
        ax.legend()
        return fig

    save_figure(draw(), tmp_path / "one.png")
    save_figure(draw(), tmp_path / "two.png")
    one, two = (tmp_path / "one.svg").read_bytes(), (tmp_path / "two.svg").read_bytes()
    assert one == two
    assert b"<dc:date>" not in one
    assert (tmp_path / "one.png").read_bytes() == (tmp_path / "two.png").read_bytes()


def test_figures_are_saved_through_one_saver():
    """No module but sim/files.py calls savefig: every figure gets PNG and SVG the same way."""
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "sim").rglob("*.py")
        if ".savefig(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["sim/files.py"]


# --- extends: by shipped name --------------------------------------------------------------------------------


def test_extends_accepts_a_shipped_name_from_anywhere(tmp_path):
    path = tmp_path / "my-firm.yaml"
    path.write_text("extends: vanguard\nname: my-firm\nfirm: {employees: 400}\n", encoding="utf-8")
    scenario = sim.load_scenario(str(path))
    vanguard = sim.load_scenario("vanguard")
    assert scenario.firm.employees == 400 and scenario.name == "my-firm"
    assert scenario.firm.levers == vanguard.firm.levers


def test_extends_prefers_a_file_beside_and_names_both_options_when_missing(cli, tmp_path):
    (tmp_path / "baseline.yaml").write_text("name: local\nfirm: {employees: 321}\n", encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text("extends: baseline\n", encoding="utf-8")
    assert sim.load_scenario(str(path)).firm.employees == 1000  # 'baseline' is a name; baseline.yaml the file
    path.write_text("extends: baseline.yaml\n", encoding="utf-8")
    assert sim.load_scenario(str(path)).firm.employees == 321
    path.write_text("extends: nowhere\n", encoding="utf-8")
    result = cli("run", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    for fragment in (str(path), "field extends = 'nowhere'", "shipped scenario", "vanguard"):
        assert fragment in result.stderr
