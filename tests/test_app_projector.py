"""The classroom app on a projector (issue 14), in Debian's Chromium at 1024x768: the funnel and the key counts
without scrolling, text of at least 16 px (in the page and in the chart as shown), every slider's value shown,
the lesson's name as the page's and the chart's title, and three runs of a lesson kept as three rows of the
history table, exported as CSV and PNG in the browser.

The server is `adoptsim app` on 127.0.0.1, started in its own session and stopped with its process group.
Nothing here depends on the model's numbers (they are being recalibrated): only on what the page shows.
"""

from __future__ import annotations

import colorsys
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_app import serving
from tests.test_report import CHROMIUM, CHROMIUM_ARGS, require_chromium

LESSON = "lessons/three-foundations"
TITLE = "Lesson 3: The three foundations"
WIDTH, HEIGHT = 1024, 768
WAIT_MS = 120_000
MIN_PX = 16


def test_committed_users_and_engaged_adopters_differ_in_hue_not_only_lightness() -> None:
    from sim.picture import STATE_COLOURS

    def hue(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return colorsys.rgb_to_hls(r, g, b)[0] * 360

    committed, engaged = hue(STATE_COLOURS[2]), hue(STATE_COLOURS[3])
    assert min(abs(committed - engaged), 360 - abs(committed - engaged)) > 30


def test_the_lesson_guide_in_the_info_tab_leaves_out_what_students_should_see() -> None:
    from sim.app import Lesson
    from sim.scenario import load_scenario

    lesson = Lesson.of(load_scenario(LESSON))
    assert lesson.title == TITLE
    assert "Question." in lesson.guide_html and "Discussion prompts." in lesson.guide_html
    assert "What students should see" not in lesson.guide_html and "<ol>" in lesson.guide_html


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app serving the three-foundations lesson, started as a user would."""
    require_chromium()
    with serving(LESSON, tmp_path_factory.mktemp("app")) as url:
        yield url


@pytest.fixture
def page(app_url: str):
    """A fresh page of the app at 1024x768, in headless Chromium, accepting downloads."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, accept_downloads=True)
            page.goto(app_url)
            expect(page.locator(".adoptsim-status")).to_contain_text("Week 0 of", timeout=WAIT_MS)
            yield page
        finally:
            browser.close()


def in_view(page, selector: str) -> dict:
    """An element's box, and whether all of it is inside the window without scrolling."""
    return page.evaluate(
        """s => { const b = document.querySelector(s).getBoundingClientRect();
                  return {top: b.top, bottom: b.bottom, right: b.right, inside: b.top >= 0 && b.left >= 0
                          && b.bottom <= innerHeight && b.right <= innerWidth && b.height > 0}; }""",
        selector,
    )


def test_funnel_and_key_counts_show_without_scrolling_in_readable_text(page, tmp_path: Path) -> None:
    from sim.app import CHART_DPI
    from sim.picture import FONT_PX

    page.screenshot(path=tmp_path / "1024x768.png")
    assert page.evaluate("scrollY") == 0
    for selector in (".adoptsim-counts", ".adoptsim-funnel", ".adoptsim-status"):
        assert in_view(page, selector)["inside"], (selector, in_view(page, selector))
    counts = page.locator(".adoptsim-counts").inner_text()
    for label in ("regular users", "engaged adopters", "pilots scaled", "duplicate pilots", "platforms in use"):
        assert label in counts
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('.adoptsim-main *')]
                 .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
                 .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= MIN_PX
    natural, shown = page.evaluate(
        "() => { const i = document.querySelector('img.adoptsim-trends'); return [i.naturalWidth, i.clientWidth]; }"
    )
    assert FONT_PX * CHART_DPI / 100 * shown / natural >= MIN_PX, (natural, shown)
    assert TITLE in page.title()
    assert page.locator(".adoptsim-chart-title").inner_text() != ""
    breaking = page.evaluate(
        """() => [...document.querySelectorAll('h1, h2, h3, .v-card__title, .v-toolbar__title')]
                 .filter(e => ['break-all', 'break-word'].includes(getComputedStyle(e).wordBreak)).length"""
    )
    assert breaking == 0
    page.get_by_role("tab", name="Info").click()
    from playwright.sync_api import expect

    expect(page.get_by_text("Which one matters most?")).to_be_visible(timeout=WAIT_MS)
    assert "runs on Solara" not in page.locator("body").inner_text()


def test_every_slider_shows_its_value(page) -> None:
    sliders = page.get_by_role("slider")
    assert sliders.count() >= 11
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        value = float(slider.get_attribute("aria-valuenow"))
        label = page.evaluate("e => e.closest('.v-input').querySelector('label').innerText", slider.element_handle())
        shown = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", label)]
        assert value in shown, (label, value)
        assert page.evaluate("e => e.closest('.v-input').querySelector('label').offsetHeight", slider.element_handle())


def set_slider(page, name: str, value: float) -> None:
    """Move a slider with the keyboard until it shows `value`."""
    slider = page.get_by_role("slider", name=re.compile(f"^{name}"))
    slider.focus()
    for _ in range(200):
        now = float(slider.get_attribute("aria-valuenow"))
        if abs(now - value) < 1e-9:
            return
        slider.press("ArrowRight" if now < value else "ArrowLeft")
    pytest.fail(f"{name} did not reach {value}")


def play_to_the_end(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="▶", exact=True).click()
    expect(page.locator(".adoptsim-status")).to_contain_text(re.compile(r"Week 104 of 104"), timeout=WAIT_MS)
    expect(page.get_by_role("button", name="▶", exact=True)).to_be_disabled(timeout=WAIT_MS)


def test_three_runs_leave_three_rows_exported_as_csv_and_png(page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    set_slider(page, "Play interval", 1)
    set_slider(page, "Render interval", 10)
    play_to_the_end(page)
    set_slider(page, "Culture", 0.8)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".adoptsim-status")).to_contain_text("Week 0 of", timeout=WAIT_MS)
    expect(page.locator(".adoptsim-legend")).to_contain_text(["faint: the previous run"], timeout=WAIT_MS)
    play_to_the_end(page)
    page.get_by_role("button", name="Restore lesson settings").click()
    expect(page.get_by_role("slider", name=re.compile("^Culture"))).to_have_attribute("aria-valuenow", "0.2")
    play_to_the_end(page)
    page.screenshot(path=tmp_path / "interface-after-three-runs.png")
    with page.expect_download() as chart:
        page.get_by_role("button", name=re.compile("Download the chart")).click()
    assert chart.value.path().read_bytes().startswith(b"\x89PNG")

    page.get_by_role("tab", name=re.compile("Runs")).click()
    rows = page.locator(".adoptsim-history tbody tr")
    expect(rows).to_have_count(3, timeout=WAIT_MS)
    culture = [row.split("\t") for row in rows.all_inner_texts()]
    assert [cells[0] for cells in culture] == ["Run 1", "Run 2", "Run 3"]
    expect(page.locator("img.adoptsim-comparison")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".adoptsim-compare")).to_contain_text("Run 2")
    page.screenshot(path=tmp_path / "runs.png", full_page=True)
    with page.expect_download() as table:
        page.get_by_role("button", name=re.compile("Download the table")).click()
    runs = list(csv.DictReader(io.StringIO(table.value.path().read_text())))
    assert [run["run"] for run in runs] == ["1", "2", "3"]
    assert [float(run["culture"]) for run in runs] == [0.2, 0.8, 0.2]
    assert all(run["week"] == "104" for run in runs)
    with page.expect_download() as comparison:
        page.get_by_role("button", name=re.compile("Download the comparison")).click()
    assert comparison.value.path().read_bytes().startswith(b"\x89PNG")


def test_lesson_two_evidence_duplicates_platforms_and_a_long_feed() -> None:
    from sim.app import FEED_LENGTH, advance, feed_items, platforms_line
    from sim.classroom import ClassroomModel
    from sim.scenario import load_scenario

    model = ClassroomModel(base=load_scenario("lessons/fragmentation"), seed=1)
    advance(model, 104)
    line = platforms_line(model)
    assert "Duplicate pilots: " in line and "merged by governance" in line and "platform 1: " in line
    assert feed_items(model).count("<li>") == min(FEED_LENGTH, len(model.events)) and FEED_LENGTH >= 40
