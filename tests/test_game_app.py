"""A class plays the transformation game in real browsers: `adoptsim app --game --class` on 127.0.0.1, the teacher's
page and three students' pages in headless Chromium (Debian's, driven by Playwright), each student in a browser
context of their own.

The students join (a wrong class code and a nickname already taken are refused with a message), play the eight
quarters in turns (one overspends and is told so; one reloads the page and resumes where it was), read their
debrief and download their results. The teacher's leaderboard then shows three rows whose figures are those of
`adoptsim compare` rerunning each student's exported decisions (replicate 0, the game's random numbers); the
saved class reopens with the same leaderboard. Waits are generous; nothing asserts how fast anything is.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sim.game import OFFERS, QUARTERS, ClassRoom, money
from tests.test_app import free_port, stop, wait_for_port
from tests.test_report import CHROMIUM, CHROMIUM_ARGS, require_chromium

WAIT_MS = 60_000
"""How long the page may take to show a change."""
SEED = 4


@contextmanager
def serving_class(folder: Path, *options: str) -> Iterator[str]:
    """`adoptsim app --game --class` as a teacher starts it (or, with other options, the game alone); yields the
    address it prints, and stops the server and everything it started on the way out."""
    port = free_port()
    log = folder / "server.log"
    options = options or ("--class", "--seed", str(SEED))
    command = [sys.executable, "-m", "sim", "app", "--game", *options, "--port", str(port)]
    environment = {**os.environ, "ADOPTSIM_GAME_UNFOLD_MS": "0", "COLUMNS": "200"}
    with log.open("w") as sink:
        server = subprocess.Popen(
            [*command, "--no-browser"], stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env=environment
        )
    try:
        wait_for_port(port, server, log)
        address = None
        for _ in range(100):
            found = re.search(rf"http://127\.0\.0\.1:{port}/(teacher\?key=[\w-]+)?(?= )", log.read_text())
            if found:
                address = found.group(0)
                break
            time.sleep(0.1)
        assert address, log.read_text()
        yield address
    finally:
        stop(server)


def status(page) -> str:
    """The student's status line."""
    return page.locator(".adoptsim-status").inner_text()


def join(page, base: str, nickname: str, code: str) -> None:
    """Fill in the join page and press Join."""
    page.goto(base)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Class code").fill(code)
    page.get_by_role("button", name="Join").click()


def run_quarter(page, quarter: int) -> None:
    """Press "Run the quarter" and wait until its weeks have unfolded."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Run the quarter").click()
    if quarter < QUARTERS:
        expect(page.locator(".adoptsim-status")).to_contain_text(
            f"quarter {quarter + 1} of {QUARTERS} · week {quarter * 13} ·", timeout=WAIT_MS
        )
    else:
        expect(page.locator(".adoptsim-status")).to_contain_text("all 8 quarters played", timeout=WAIT_MS)


def tick(page, title: str, level: str | None = None) -> None:
    """Tick (or untick) an intervention, and choose its intensity."""
    row = page.locator(".adoptsim-choice", has_text=title)
    row.get_by_text(title).click()
    if level is not None:
        row.get_by_role("button", name=level, exact=True).click()


def rerun_with_compare(cli, archive: bytes, folder: Path, name: str) -> dict[str, float]:
    """Unpack a student's results, run `adoptsim compare` on the exported comparison, and return replicate 0 of
    the student's arm (the base, doing nothing, when they chose nothing)."""
    folder.mkdir()
    zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)
    result = cli("compare", folder / "comparison.yaml", "--out", folder / "rerun", "--replicates", "2", "-q")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader((folder / "rerun" / "replicates.csv").open()))
    arm = f"path of {name}"
    chosen = [r for r in rows if r["arm"] == arm and r["replicate"] == "0"]
    # every figure of the replicate; those it may leave empty (a payback week never reached) left out
    return {key: float(value) for key, value in chosen[0].items() if key != "arm" and value != ""}


def test_a_class_plays_to_the_end_and_the_leaderboard_equals_compare_rerunning_each_path(tmp_path: Path, cli) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with serving_class(tmp_path) as teacher_url, sync_playwright() as playwright:
        base = teacher_url.split("/teacher")[0] + "/"
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            teacher = browser.new_page(viewport={"width": 1300, "height": 1000})
            teacher.goto(teacher_url)
            expect(teacher.locator(".adoptsim-code")).to_have_text(re.compile(r"^[A-Z2-9]{5}$"), timeout=WAIT_MS)
            code = teacher.locator(".adoptsim-code").inner_text()

            outsider = browser.new_page()
            outsider.goto(base + "teacher?key=guess")
            expect(outsider.get_by_text("This page is for the teacher")).to_be_visible(timeout=WAIT_MS)

            students = {name: browser.new_context().new_page() for name in ("ann", "bo", "cy")}
            ann, bo, cy = students.values()
            join(ann, base, "ann", "WRONG")
            expect(ann.locator(".adoptsim-error")).to_contain_text("is not this class's", timeout=WAIT_MS)
            ann.get_by_label("Class code").fill(code)
            ann.get_by_role("button", name="Join").click()
            expect(ann.get_by_role("button", name="Run the quarter")).to_be_visible(timeout=WAIT_MS)
            join(bo, base, "Ann", code)
            expect(bo.locator(".adoptsim-error")).to_contain_text("The nickname 'Ann' is taken", timeout=WAIT_MS)
            bo.get_by_label("Nickname").fill("bo")
            bo.get_by_role("button", name="Join").click()
            join(cy, base, "cy", code.lower())
            for page in (bo, cy):
                expect(page.get_by_role("button", name="Run the quarter")).to_be_visible(timeout=WAIT_MS)
            expect(teacher.locator(".adoptsim-leaderboard tbody tr")).to_have_count(3, timeout=WAIT_MS)

            tick(ann, "AI training", "high")
            tick(ann, "Centre of excellence")
            tick(bo, "Usage mandate", "high")
            for offer in OFFERS.values():  # cy wants everything, at full strength
                tick(cy, offer.title, "high")
            for quarter in range(1, QUARTERS + 1):
                for name, page in students.items():
                    if name == "cy" and quarter == 5:  # cy's plan runs out of money in quarter 5
                        page.get_by_role("button", name="Run the quarter").click()
                        expect(page.locator(".adoptsim-error")).to_contain_text("Over budget", timeout=WAIT_MS)
                        assert f"quarter 5 of {QUARTERS}" in status(page)
                        tick(page, "Data and platform integration")
                        tick(page, "Centre of excellence")
                        tick(page, "Safety programme for managers")
                        tick(page, "AI training")
                    run_quarter(page, quarter)
                    if name == "bo" and quarter == 3:  # bo reloads and resumes where they were
                        page.reload()
                        expect(page.locator(".adoptsim-status")).to_contain_text(
                            f"quarter 4 of {QUARTERS} · week 39", timeout=WAIT_MS
                        )
                        mandate = page.locator(".adoptsim-choice", has_text="Usage mandate")
                        expect(mandate.get_by_role("checkbox")).to_be_checked()  # the choices as they were
                        expect(mandate.get_by_role("button", name="high", exact=True)).to_have_class(
                            re.compile("v-item--active")
                        )

            archives = {}
            for name, page in students.items():
                expect(page.locator(".adoptsim-debrief")).to_contain_text("strong plan", timeout=WAIT_MS)
                expect(page.locator(".adoptsim-lines")).to_contain_text("Against doing nothing", timeout=WAIT_MS)
                with page.expect_download() as download:
                    page.get_by_text("Download your results").click()
                archives[name] = Path(download.value.path()).read_bytes()

            rows = teacher.locator(".adoptsim-leaderboard tbody tr")
            expect(rows).to_have_count(3, timeout=WAIT_MS)
            for name in students:
                expect(teacher.locator(f".adoptsim-leaderboard tr[data-name='{name}']")).to_contain_text(
                    f"{QUARTERS} of {QUARTERS}", timeout=WAIT_MS
                )
            teacher.screenshot(path=tmp_path / "teacher.png", full_page=True)
            board = {}
            for i in range(3):
                row = rows.nth(i)
                cells = [cell.inner_text() for cell in row.locator("td").all()]
                board[row.get_attribute("data-name")] = {
                    "cells": cells,
                    "pilots_scaled": int(row.get_attribute("data-pilots-scaled")),
                    "net_value": float(row.get_attribute("data-net-value")),
                    "engagement_rate": float(row.get_attribute("data-engagement-rate")),
                }
            assert sorted(board) == ["ann", "bo", "cy"]
            for name, archive in archives.items():
                again = rerun_with_compare(cli, archive, tmp_path / name, name)
                net = (again["savings"] + again["revenue"]) * 300_000 - again["intervention_cost"]
                shown = board[name]
                assert shown["pilots_scaled"] == int(again["pilots_scaled"])
                assert shown["engagement_rate"] == pytest.approx(again["engagement_rate"], rel=1e-5)
                assert shown["net_value"] == pytest.approx(net, rel=1e-5, abs=50)
                assert shown["cells"][3:] == [
                    str(shown["pilots_scaled"]),
                    money(shown["net_value"]),
                    f"{shown['engagement_rate']:.0%}",
                ]
            assert len({entry["net_value"] for entry in board.values()}) == 3

            teacher.get_by_role("button", name="Show bo").click()
            expect(teacher.get_by_role("button", name="Replay from week 0")).to_be_visible(timeout=WAIT_MS)
            expect(teacher.get_by_text("Quarter 8: Usage mandate 1")).to_be_visible(timeout=WAIT_MS)
            with teacher.expect_download() as download:
                teacher.get_by_text("Save the class").click()
            saved = Path(download.value.path()).read_text()
        finally:
            browser.close()

    reopened = ClassRoom.from_json(saved)
    assert json.loads(saved)["code"] == code
    assert {row["name"]: row["net_value"] for row in reopened.leaderboard()} == {
        name: entry["net_value"] for name, entry in board.items()
    }


def test_alone_the_game_starts_at_once_and_a_reloaded_page_resumes_with_its_choices(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with serving_class(tmp_path, "--seed", "2") as url, sync_playwright() as playwright:
        assert "teacher" not in url
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url)
            expect(page.get_by_role("button", name="Run the quarter")).to_be_visible(timeout=WAIT_MS)
            expect(page).to_have_url(re.compile(r"\?player="), timeout=WAIT_MS)  # the address the page moves to
            tick(page, "Champions network", "high")
            run_quarter(page, 1)
            expect(page.locator(".adoptsim-feed")).to_contain_text(
                "quarter 1 begins: champions network (1", timeout=WAIT_MS
            )
            page.reload()
            expect(page.locator(".adoptsim-status")).to_contain_text(f"you · quarter 2 of {QUARTERS} · week 13")
            expect(
                page.locator(".adoptsim-choice", has_text="Champions network").get_by_role("checkbox")
            ).to_be_checked()
            run_quarter(page, 2)
            expect(page.locator(".adoptsim-feed")).to_contain_text(
                "quarter 2 begins: champions network (1", timeout=WAIT_MS
            )
            page.goto(url.rstrip("/") + "/teacher?key=")
            expect(page.get_by_text("This page is for the teacher")).to_be_visible(timeout=WAIT_MS)
        finally:
            browser.close()
