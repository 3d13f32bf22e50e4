"""`adoptsim report`: one self-contained HTML page for a comparison, run or sweep folder, readable offline
in headless Chromium with every figure rendered."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from sim.cli import app  # noqa: E402
from sim.value import amount_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_REQUIRED = os.environ.get("ADOPTSIM_REQUIRE_BROWSER") == "1"
"""Set by CI, which installs Chromium: there a missing browser fails the browser tests instead of skipping them."""


def require_chromium() -> None:
    """Skip a browser test where Debian's Chromium is not installed, or fail it where it must be."""
    if CHROMIUM.exists():
        return
    message = f"needs {CHROMIUM} (apt-get install -y chromium)"
    if BROWSER_REQUIRED:
        pytest.fail(message + "; ADOPTSIM_REQUIRE_BROWSER=1 asks for the browser tests to run")
    pytest.skip(message)


def invoke(*args: object) -> None:
    """Run a command that must succeed."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def comparison_folder(tmp_path_factory) -> Path:
    """A small comparison (two arms, three replicates, a 200-person firm over a year) with its report."""
    folder = tmp_path_factory.mktemp("report")
    arms = [
        {"name": "usage mandate", "interventions": [{"kind": "mandate", "start": 5, "intensity": 0.8, "cost": 1e5}]},
        {"name": "infrastructure", "interventions": [{"kind": "infrastructure", "start": 5, "cost": 2e6}]},
    ]
    spec = {"name": "small", "base": str(ROOT / "scenarios" / "baseline.yaml"), "replicates": 3, "arms": arms}
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = folder / "out"
    invoke("compare", path, "--out", out, "--set", "firm.employees=200", "--set", "weeks=52", "--quiet")
    invoke("report", out)
    return out


def images(page: str) -> list[str]:
    """The src of every <img> in a page."""
    return re.findall(r'<img src="([^"]*)"', page)


def assert_self_contained(page: str) -> None:
    """No scripts, no stylesheets or images fetched from anywhere: everything is inline."""
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"https?://", page)
    assert all(src.startswith("data:image/png;base64,") for src in images(page))


def test_a_comparison_report_opens_with_a_plain_summary(comparison_folder):
    page = (comparison_folder / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert len(images(page)) == len(list((comparison_folder / "figures").glob("*.png")))
    summary = page.split('<section class="summary">')[1].split("</section>")[0]
    assert "We compared 2 options with the base case" in summary
    assert re.search(r"Infrastructure scaled \d+\.\d (more|fewer) pilots than the base case \(95% interval", summary)
    assert re.search(r"better in \d of 3 replicates", summary)
    assert "per extra scaled pilot" in page


def test_the_report_renders_offline_in_headless_chromium(comparison_folder, tmp_path):
    """Every request but the file itself is blocked, and every figure must still have decoded."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    fetched: list[str] = []

    def only_files(route) -> None:
        fetched.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", only_files)
            page.goto((comparison_folder / "report.html").as_uri())
            widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete && i.naturalWidth)")
            heading = page.text_content("h1")
            page.screenshot(path=tmp_path / "report.png", full_page=True)
        finally:
            browser.close()
    assert "options compared" in heading
    assert len(widths) >= 8 and all(width > 0 for width in widths)
    assert all(url.startswith("file://") for url in fetched)
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_a_run_folder_gets_a_report(tmp_path):
    out = tmp_path / "run"
    invoke("run", "baseline", "--weeks", "20", "--out", out, "--quiet")
    invoke("report", out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "Run of baseline" in page and "pilots started (proofs of concept begun)" in page
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    savings = amount_text(summary["savings"] * 250_000, "USD")  # 0.1% of 1,000 x USD 250,000 a value unit
    assert f"Value: {savings} of cost savings" in page and "worth USD 250k" in page
    assert len(images(page)) == len(list((out / "figures").glob("*.png"))) > 0


def sweep_folder(folder: Path, design: str = "lhs") -> Path:
    """A sweep folder as `adoptsim sweep` writes it: 60 runs over culture and threat, pilots scaled rising with
    culture only (plus noise), anxiety with threat only; one run failed."""
    rng = np.random.default_rng(3)
    culture, threat = rng.uniform(0, 1, 60), rng.uniform(0, 1, 60)
    runs = pd.DataFrame(
        {
            "run": range(60),
            "firm.levers.culture": culture,
            "firm.threat": threat,
            "replicate": 0,
            "seed": range(100, 160),
            "pilots_scaled": 10 * culture + rng.normal(0, 1, 60),
            "mean_anxiety": 0.2 + 0.5 * threat + rng.normal(0, 0.02, 60),
            "error": [""] * 59 + ["InputError: bad"],
        }
    )
    runs.loc[59, ["pilots_scaled", "mean_anxiety"]] = None
    runs.to_parquet(folder / "runs.parquet")
    factors = {"firm.levers.culture": {"range": [0, 1]}, "firm.threat": {"range": [0, 1]}}
    experiment = {"factors": factors, "outcomes": ["pilots_scaled", "mean_anxiety"], "design": {"kind": design}}
    (folder / "experiment.json").write_text(json.dumps({"experiment": experiment}), encoding="utf-8")
    (folder / "figures").mkdir()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.savefig(folder / "figures" / "effects.png")
    plt.close(fig)
    return folder


def test_a_sweep_report_leads_with_what_matters_for_each_outcome(tmp_path):
    """Without sensitivity indices: effect sizes name the factor that moves each outcome (culture for pilots
    scaled, threat for anxiety), with intervals; factors and outcomes are tables of their own."""
    invoke("report", sweep_folder(tmp_path))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "60 runs of a lhs design over 2 factors (culture, threat); 1 failed" in page
    summary = page[: page.index("Effects of each factor")]
    assert re.search(r"Pilots scaled: higher culture raises it by [0-9.]+ \(top third", summary)
    assert "higher threat" not in summary.split("Mean AI anxiety")[0], "threat does not move pilots scaled"
    assert re.search(r"Mean AI anxiety \(0 to 1\): higher threat raises it", summary)
    factors = page[page.index("Factors varied") : page.index("Outcomes across runs")]
    assert "firm.levers.culture" in factors and "pilots" not in factors
    outcomes = page[page.index("Outcomes across runs") :]
    assert "<td>pilots scaled</td><td>59</td>" in outcomes and "firm.threat" not in outcomes
    assert "<td>run</td>" not in page and "<td>seed</td>" not in page, "identifiers are not outcomes"
    assert len(images(page)) == 1


def test_a_sweep_report_with_sobol_indices_says_what_carries_the_variance(tmp_path):
    folder = sweep_folder(tmp_path, "sobol")
    pd.DataFrame(
        {
            "outcome": ["pilots_scaled", "pilots_scaled", "mean_anxiety", "mean_anxiety"],
            "factor": ["firm.levers.culture", "firm.threat", "firm.levers.culture", "firm.threat"],
            "S1": [0.7, 0.01, 0.0, 0.9],
            "S1_conf": [0.1, 0.02, 0.01, 0.05],
            "ST": [0.75, 0.02, 0.01, 0.95],
            "ST_conf": [0.1, 0.02, 0.01, 0.05],
        }
    ).to_csv(folder / "sobol.csv", index=False)
    invoke("report", folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Pilots scaled: culture (total index 0.75, 95% interval 0.65 to 0.85; alone 0.70) carries " \
        "most of its variance." in page
    assert "What matters most" in page
    assert "Sobol&#x27; indices" in page or "Sobol' indices" in page


def test_a_folder_without_results_is_refused(cli, tmp_path):
    result = cli("report", tmp_path)
    assert result.exit_code == 2
    assert str(tmp_path) in result.stderr and "comparison.json" in result.stderr
    missing = cli("report", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "no such folder" in missing.stderr


def test_the_report_prints_to_pdf_without_clipped_tables(comparison_folder, tmp_path):
    """Printed on A4 (about 700 CSS pixels between the margins), under the print stylesheet no table is wider
    than the page, and Debian's Chromium prints the page to a PDF of several pages as it is."""
    require_chromium()
    import subprocess

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 700, "height": 1000})
            page.emulate_media(media="print")
            page.goto((comparison_folder / "report.html").as_uri())
            overflow = page.eval_on_selector_all(
                "table, figure img",
                "nodes => nodes.filter(n => n.getBoundingClientRect().right > document.body.clientWidth + 1)"
                ".map(n => n.outerHTML.slice(0, 80))",
            )
            tables = page.eval_on_selector_all("table", "nodes => nodes.length")
        finally:
            browser.close()
    assert tables >= 4 and overflow == []
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            *CHROMIUM_ARGS,
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (comparison_folder / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 3
