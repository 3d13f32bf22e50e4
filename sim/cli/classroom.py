"""`adoptsim app` and `adoptsim animate`: the classroom app in the browser, and an animated GIF for slides."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from sim.animate import write_animation
from sim.classroom import app_environment
from sim.cli.common import ScenarioArg, SetOption, console, user_errors
from sim.errors import InputError
from sim.scenario import load_scenario, resolve_scenario_path
from sim.schema import Scenario

HOST = "127.0.0.1"
APP_FILE = Path(__file__).resolve().parent.parent / "app.py"
START_TIMEOUT = 60
"""Seconds to wait for the server to listen before opening the browser."""


def app_command(
    scenario: Annotated[
        str, typer.Argument(help="A scenario file, or a shipped name such as baseline or lessons/fragmentation.")
    ] = "baseline",
    port: Annotated[int, typer.Option(help="Port to serve on, on 127.0.0.1.", min=1, max=65535)] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    overrides: SetOption = None,
) -> None:
    """Serve the classroom app on 127.0.0.1: the organisation week by week, with sliders, play, step and reset.

    Stop it with Ctrl+C."""
    with user_errors():
        spec = load_scenario(scenario, overrides or [])
        require_single_firm(spec, scenario)
        require_free_port(port)
        path = resolve_scenario_path(scenario).resolve()
    server = subprocess.Popen(solara_command(port), env=app_environment(path, overrides or []))
    try:
        announce(server, port, spec.name, open_browser=not no_browser)
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
        return
    if server.returncode:
        raise typer.Exit(1)


def announce(server: subprocess.Popen, port: int, name: str, open_browser: bool) -> None:
    """Once the server listens, say where, and open the browser there if asked."""
    url = f"http://{HOST}:{port}/"
    if not wait_for_port(port, server):
        console.print(f"The app server did not start listening on {url}; see its messages above.")
        return
    console.print(f"The classroom app for {name} is at {url} (Ctrl+C stops it).")
    if open_browser:
        webbrowser.open(url)


def solara_command(port: int) -> list[str]:
    """Solara serving the app on 127.0.0.1 without asking the package index for updates or opening a browser
    itself (production mode: no file watching)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP_FILE),
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-open",
        "--no-check-version",
        "--production",
    ]


def require_single_firm(spec: Scenario, scenario: str) -> None:
    """The classroom shows one organisation, not a population of firms."""
    if spec.population is not None:
        raise InputError(
            f"{scenario}: field population is set, so this scenario describes a population of firms; the classroom "
            "shows one organisation. Give a single-firm scenario such as baseline or a lesson in scenarios/lessons/."
        )


def require_free_port(port: int) -> None:
    """Refuse a port that something else on 127.0.0.1 already listens on."""
    with socket.socket() as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise InputError(f"--port {port}: something is already listening there. Choose another port.")


def wait_for_port(port: int, server: subprocess.Popen) -> bool:
    """Wait until the server accepts connections; False if it exited or did not start in time."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and server.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def animate_command(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option(help="The GIF file to write, e.g. outputs/baseline.gif.")],
    seed: Annotated[
        int, typer.Option(help="Random seed: the same scenario and seed give the same animation.", min=0)
    ] = 0,
    weeks: Annotated[
        int | None,
        typer.Option(help="Weeks to animate, a frame each (default: the scenario's horizon).", min=1, max=1040),
    ] = None,
    fps: Annotated[int, typer.Option(help="Frames (weeks) per second.", min=1, max=50)] = 8,
    overrides: SetOption = None,
) -> None:
    """Write an animated GIF of one run for slides: the organisation changing week by week, with usage,
    engagement and anxiety."""
    with user_errors():
        horizon = [f"weeks={weeks}"] if weeks is not None else []
        spec = load_scenario(scenario, [*(overrides or []), *horizon])
        require_single_firm(spec, scenario)
        frames = write_animation(spec, seed, out, fps)
    console.print(f"Wrote {out} ({frames} frames, {spec.weeks} weeks of {spec.name}).")
