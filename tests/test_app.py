"""The classroom app in a real browser: `adoptsim app` serves a lesson on 127.0.0.1, headless Chromium (Debian's,
driven by Playwright) steps it, moves a slider, resets and plays it, and the charts, the network, the funnel
and the feed follow. Screenshots of each stage are saved in the test's temporary folder.

What is compared is what a student sees: the week in the status line, the pictures as the browser shows them
(element screenshots) and the funnel's text. Waits have generous timeouts for a loaded machine; nothing
asserts how fast anything is.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_report import CHROMIUM, CHROMIUM_ARGS, require_chromium

LESSON = "lessons/fragmentation"
START_TIMEOUT = 120
"""Seconds the server may take to listen (about 3 to 8 s is usual)."""
WAIT_MS = 60_000
"""How long the page may take to show a change."""


@pytest.fixture(autouse=True, scope="module")
def chromium() -> None:
    """Every test here drives Debian's Chromium."""
    require_chromium()


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    """Wait until the server listens; fail with its log if it exits or never listens."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app exited with code {server.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the app did not listen on port {port} within {START_TIMEOUT} s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """Stop the app and the Solara server it started (one process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextmanager
def serving(lesson: str, folder: Path) -> Iterator[str]:
    """A lesson served by the app as a user starts it (`adoptsim app LESSON --no-browser`), its log in
    `folder`; yields the page's address and stops the server and everything it started on the way out."""
    port = free_port()
    log = folder / "server.log"
    command = [sys.executable, "-m", "sim", "app", lesson, "--port", str(port), "--no-browser"]
    with log.open("w") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, server, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(server)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app serving a lesson, started as a user would."""
    with serving(LESSON, tmp_path_factory.mktemp("app")) as url:
        yield url


def shown(page, locator) -> bytes:
    """A screenshot of an element once its image (if it is one) has loaded."""
    page.wait_for_function(
        "el => el.tagName !== 'IMG' || (el.complete && el.naturalWidth > 0)", arg=locator.element_handle()
    )
    return locator.screenshot()


def changed(page, locator, before: bytes) -> bytes:
    """Wait until an element looks different from `before`; fail if it never does."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        now = shown(page, locator)
        if now != before:
            return now
        page.wait_for_timeout(250)
    pytest.fail(f"{locator} did not change")


def test_step_slider_reset_and_play_update_the_charts_the_network_and_the_funnel(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(app_url)
            status, funnel = page.locator(".adoptsim-status"), page.locator(".adoptsim-funnel")
            network, trends = page.locator("img.adoptsim-organisation"), page.locator("img.adoptsim-trends")
            expect(status).to_contain_text("Week 0 of 104 · 300 employees in 25 teams", timeout=WAIT_MS)
            start = {"network": shown(page, network), "trends": shown(page, trends), "funnel": funnel.inner_text()}
            page.screenshot(path=tmp_path / "1-start.png", full_page=True)

            step = page.get_by_role("button", name="Step", exact=True)
            for week in range(1, 11):
                step.click()
                expect(status).to_contain_text(f"Week {week} of 104", timeout=WAIT_MS)
            stepped = {
                "network": changed(page, network, start["network"]),
                "trends": changed(page, trends, start["trends"]),
            }
            assert re.search(r"ideas\s+[1-9]", funnel.inner_text()), funnel.inner_text()
            assert "week " in page.locator(".adoptsim-feed").inner_text()
            page.screenshot(path=tmp_path / "2-stepped.png", full_page=True)

            teams = page.get_by_role("slider", name="Number of teams")
            teams.focus()
            teams.press("ArrowRight")
            expect(status).to_contain_text("Week 10 of 104 · 300 employees in 25 teams")
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(status).to_contain_text("Week 0 of 104 · 312 employees in 26 teams", timeout=WAIT_MS)
            reset = changed(page, network, stepped["network"])
            assert reset != start["network"]
            changed(page, trends, stepped["trends"])
            assert funnel.inner_text() == start["funnel"]
            page.screenshot(path=tmp_path / "3-reset.png", full_page=True)

            page.get_by_role("button", name="▶", exact=True).click()
            expect(status).to_contain_text(re.compile(r"Week ([3-9]|\d\d+) of 104"), timeout=WAIT_MS)
            page.get_by_role("button", name="❚❚", exact=True).click()
            expect(page.get_by_role("button", name="▶", exact=True)).to_be_visible(timeout=WAIT_MS)
            changed(page, network, reset)
            page.screenshot(path=tmp_path / "4-played.png", full_page=True)

            page.get_by_role("tab", name="Info").click()
            expect(page.get_by_text("Things to try")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=tmp_path / "5-info.png", full_page=True)
        finally:
            browser.close()
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("1-start.png", "3-reset.png", "5-info.png"))
