"""`adoptsim app` and `adoptsim animate`: the classroom app in the browser, and an animated GIF for slides."""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from sim.animate import write_animation
from sim.classroom import app_environment
from sim.cli.common import ForceFileOption, ScenarioArg, SetOption, console, interruptible, user_errors
from sim.errors import InputError
from sim.scenario import load_scenario, resolve_scenario_path
from sim.schema import Scenario

HOST = "127.0.0.1"
APP_FILE = Path(__file__).resolve().parent.parent / "app.py"
START_TIMEOUT = 60
"""Seconds to wait for the server to listen before opening the browser."""


def app_command(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A scenario file, or a shipped name such as baseline or lessons/fragmentation (with --game: "
            "lessons/transformation-game by default)."
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    overrides: SetOption = None,
    game: Annotated[
        bool, typer.Option("--game", help="The transformation game: lead the firm for eight quarters with a budget.")
    ] = False,
    in_class: Annotated[
        bool,
        typer.Option(
            "--class",
            help="With --game: serve the game to a class. Students join with a nickname and the code shown on the "
            "teacher's page, which opens in your browser.",
        ),
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            help="Address to serve on. The default keeps the app on this machine; with --game --class, 0.0.0.0 "
            "serves it to the machines of your network (a warning and the address to share are printed)."
        ),
    ] = HOST,
    seed: Annotated[
        int | None, typer.Option(help="With --game: the seed of the firm every student plays [default: 0].", min=0)
    ] = None,
    open_class: Annotated[
        Path | None,
        typer.Option("--open", help="With --game --class: reopen a class saved from the teacher's page (JSON)."),
    ] = None,
) -> None:
    """Serve the classroom app on 127.0.0.1: the organisation week by week, with sliders, play, step and reset.
    With --game, the transformation game instead; with --game --class, the game for a class.

    Stop it with Ctrl+C."""
    with user_errors():
        check_game_options(game, in_class, host, open_class, seed)
        scenario = scenario or (GAME_SCENARIO if game else "baseline")
        spec = load_scenario(scenario, overrides or [])
        require_single_firm(spec, scenario)
        if open_class is not None:
            open_saved_class(open_class)
        require_free_port(port, probe_host(host))
        path = resolve_scenario_path(scenario).resolve()
    environment = app_environment(path, overrides or [])
    url = f"http://{HOST}:{port}/"
    if game:
        key = secrets.token_urlsafe(16)
        share = f"http://{shared_address(host)}:{port}/"
        environment |= game_environment(in_class, seed or 0, key, open_class, share)
        if in_class:
            url = f"http://{HOST}:{port}/teacher?key={key}"
            if host != HOST:
                console.print(network_warning(host, port, share), highlight=False)
    with stop_signals() as stop:
        server = subprocess.Popen(
            solara_command(port, GAME_FILE if game else APP_FILE, host),
            env=environment,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        try:
            stop.forward_to(server)
            what = ("The class's game" if in_class else "The game") + f" ({spec.name})" if game else None
            announce(server, port, spec.name, open_browser=not no_browser, stop=stop, url=url, what=what, host=host)
            wait_for_exit(server, stop)
        finally:
            end_group(server)
    if stop.received is not None:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            console.print("Stopped the classroom app.")
        return
    if server.returncode:
        raise typer.Exit(1)


GAME_FILE = Path(__file__).resolve().parent.parent / "game_app.py"
GAME_SCENARIO = "lessons/transformation-game"
"""The game's page and the firm it plays unless told otherwise."""


def check_game_options(game: bool, in_class: bool, host: str, open_class: Path | None, seed: int | None) -> None:
    """The game's options make sense together, and the host is an address."""
    if seed is not None and not game:
        raise InputError(
            f"--seed {seed}: only the game takes a seed here (add --game); the classroom app has a Seed slider."
        )
    if seed is not None and open_class is not None:
        raise InputError(f"--seed {seed}: a reopened class keeps the seed it was played with; leave --seed out.")
    if in_class and not game:
        raise InputError("--class: a class plays the transformation game; add --game (adoptsim app --game --class).")
    if open_class is not None and not in_class:
        raise InputError(f"--open {open_class}: a saved class reopens as a class; add --game --class.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(
            f"--host {host!r}: not an IP address. Allowed: 127.0.0.1 (this machine only, the default) or, with "
            "--game --class, 0.0.0.0 (every network of this machine) or one of this machine's addresses."
        ) from None
    if host != HOST and not in_class:
        raise InputError(
            f"--host {host}: only a class (--game --class) is served beyond this machine; the classroom app and a "
            "single game stay on 127.0.0.1. Leave --host out, or add --game --class."
        )


def open_saved_class(path: Path) -> None:
    """Refuse a class file that is missing or that the game cannot reopen (before the server starts)."""
    from sim.game import ClassRoom

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"--open {path}: cannot read it ({exc}). Give a class file saved from the teacher's page."
        ) from None
    ClassRoom.from_json(text, f"--open {path}")


def game_environment(in_class: bool, seed: int, key: str, open_class: Path | None, share: str) -> dict[str, str]:
    """What the game's page needs to know, passed in its server's environment (see sim.game_app)."""
    from sim import game as names

    return {
        names.CLASS_VARIABLE: "1" if in_class else "",
        names.SEED_VARIABLE: str(seed),
        names.KEY_VARIABLE: key if in_class else "",
        names.OPEN_VARIABLE: str(open_class.resolve()) if open_class is not None else "",
        names.ADDRESS_VARIABLE: share,
    }


def probe_host(host: str) -> str:
    """Where to check that the server listens: 127.0.0.1 when it serves every address of this machine."""
    return HOST if host in ("0.0.0.0", "::") else host


def shared_address(host: str) -> str:
    """The address students type: the host asked for, or, for 0.0.0.0, this machine's address on its network (found
    by asking the system which address it would use for a route outward; nothing is sent)."""
    if host not in ("0.0.0.0", "::"):
        return host
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: a UDP "connect" only picks a route
        return probe.getsockname()[0]
    return socket.gethostname()


def network_warning(host: str, port: int, share: str) -> str:
    """What serving beyond this machine means, and the address to give students."""
    return (
        f"Warning: --host {host} serves the game to other machines: anyone who can reach this machine on port "
        f"{port} can open the join page (students still need the class code). Use it on your class's network only "
        f"and stop it with Ctrl+C after class. Nothing is stored anywhere but on this machine.\n"
        f"Address to share with students: {share}"
    )


def announce(
    server: subprocess.Popen,
    port: int,
    name: str,
    open_browser: bool,
    stop: StopSignals,
    url: str | None = None,
    what: str | None = None,
    host: str = HOST,
) -> None:
    """Once the server listens, say where, and open the browser there if asked."""
    url = url or f"http://{HOST}:{port}/"
    if not wait_for_port(port, server, probe_host(host)):
        if stop.received is None:
            console.print(f"The app server did not start listening on {url}; see its messages above.")
        return
    console.print(f"{what or 'The classroom app for ' + name} is at {url} (Ctrl+C stops it).", highlight=False)
    if open_browser:
        webbrowser.open(url)


def solara_command(port: int, app: Path = APP_FILE, host: str = HOST) -> list[str]:
    """Solara serving the app (or the game) on 127.0.0.1 (or the host asked for) without asking the package
    index for updates or opening a browser
    itself (production mode: no file watching). Its telemetry is turned off in its environment
    (`sim.classroom.app_environment`)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        host,
        "--port",
        str(port),
        "--no-open",
        "--no-check-version",
        "--production",
    ]


class StopSignals:
    """SIGTERM, SIGINT (Ctrl+C) and SIGHUP (the terminal closed) to `adoptsim app`, passed on to the server.

    The server runs in a session of its own, so that a signal meant for `adoptsim app` alone does not reach it
    half-way; adoptsim passes each one on to the server's whole process group (SIGHUP as SIGTERM) and waits for
    it to stop. A signal that arrives while the server is being started is passed on once it has started."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.at = 0.0
        self.server: subprocess.Popen | None = None

    def handle(self, signum: int, frame: object) -> None:
        """Note the signal and pass it on to the server's group, if the server has started."""
        self.received, self.at = signum, time.monotonic()
        if self.server is not None:
            signal_group(self.server, forwarded(signum))

    def forward_to(self, server: subprocess.Popen) -> None:
        """From now on pass signals on to this server; and the one that came while it was starting."""
        self.server = server
        if self.received is not None:
            signal_group(server, forwarded(self.received))


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))
STOP_GRACE = 10
"""Seconds the server has to stop after a signal before what is left of its process group is killed."""


def forwarded(signum: int) -> int:
    """The signal passed on to the server: the same, but SIGTERM for SIGHUP (Solara stops cleanly on SIGTERM)."""
    return signal.SIGTERM if signum == getattr(signal, "SIGHUP", None) else signum


@contextlib.contextmanager
def stop_signals() -> Iterator[StopSignals]:
    """Catch the stop signals for as long as the server runs; the previous handlers afterwards."""
    stop = StopSignals()
    previous = {signum: signal.signal(signum, stop.handle) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal the calling process gets when its parent dies (Linux's <sys/prctl.h>)."""


def die_with_parent() -> Callable[[], None] | None:
    """On Linux, what the server runs between fork and exec so that it gets SIGTERM if `adoptsim app` dies
    without passing a signal on (kill -9, a crash, the out-of-memory killer): prctl(PR_SET_PDEATHSIG,
    SIGTERM), which survives exec. None elsewhere, or where libc's prctl cannot be found.

    The signal comes when the *thread* that forked the server ends, not the process: the server must be
    started from the thread that lives as long as adoptsim app (its main thread, as app_command does). If
    adoptsim app died before the server had asked, the server's parent is already another process, and it
    exits at once instead."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent, sigterm = os.getpid(), int(signal.SIGTERM)

    def ask() -> None:  # runs in the child, after fork and setsid, before exec
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return ask


def signal_group(server: subprocess.Popen, signum: int) -> None:
    """Send a signal to the server's process group (the server alone where there are no process groups)."""
    with contextlib.suppress(ProcessLookupError):
        if hasattr(os, "killpg"):
            os.killpg(server.pid, signum)
        else:
            server.send_signal(signum)


def exited(server: subprocess.Popen) -> bool:
    """Whether the server has exited, without reaping it where the system allows: until it is reaped, its
    process id, which names its process group, cannot be taken by another process."""
    if hasattr(os, "waitid") and server.returncode is None:
        try:
            return os.waitid(os.P_PID, server.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:  # reaped already
            pass
    return server.poll() is not None


def wait_for_exit(server: subprocess.Popen, stop: StopSignals) -> None:
    """Wait until the server exits; once a stop signal came, for at most STOP_GRACE seconds more."""
    while not exited(server):
        if stop.received is not None and time.monotonic() - stop.at > STOP_GRACE:
            signal_group(server, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        time.sleep(0.1)


def end_group(server: subprocess.Popen) -> None:
    """Leave nothing of the server running: stop it if it still runs (on an error in adoptsim), kill whatever
    it left in its process group, and reap it."""
    if not exited(server):
        signal_group(server, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while not exited(server) and time.monotonic() < deadline:
            time.sleep(0.1)
    if hasattr(signal, "SIGKILL"):
        signal_group(server, signal.SIGKILL)
    server.wait()


def require_single_firm(spec: Scenario, scenario: str) -> None:
    """The classroom shows one organisation, not a population of firms."""
    if spec.population is not None:
        raise InputError(
            f"{scenario}: field population is set, so this scenario describes a population of firms; the classroom "
            "shows one organisation. Give a single-firm scenario such as baseline or a lesson in scenarios/lessons/."
        )


def require_free_port(port: int, host: str = HOST) -> None:
    """Refuse a port that something else on 127.0.0.1 (or the host asked for) already listens on."""
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            raise InputError(f"--port {port}: something is already listening there. Choose another port.")


def wait_for_port(port: int, server: subprocess.Popen, host: str = HOST) -> bool:
    """Wait until the server accepts connections; False if it exited or did not start in time."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not exited(server):
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def animate_command(
    scenario: ScenarioArg,
    out: Annotated[
        str,
        typer.Option(
            help="The GIF file to write, e.g. outputs/baseline.gif. An existing file is not overwritten unless "
            "--force is given."
        ),
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed: the same scenario and seed give the same animation.", min=0)
    ] = 0,
    weeks: Annotated[
        int | None,
        typer.Option(help="Weeks to animate, a frame each (default: the scenario's horizon).", min=1, max=1040),
    ] = None,
    fps: Annotated[int, typer.Option(help="Frames (weeks) per second.", min=1, max=50)] = 8,
    overrides: SetOption = None,
    force: ForceFileOption = False,
) -> None:
    """Write an animated GIF of one run for slides: the organisation changing week by week, with usage,
    engagement and anxiety and the pilot funnel; the title names the settings; the last frame is held.

    The GIF is written under a temporary name beside --out and renamed when complete; a file already at \
--out is left alone (exit code 2) unless --force is given."""
    with user_errors(), interruptible(f"nothing was written to {out}."):
        horizon = [f"weeks={weeks}"] if weeks is not None else []
        spec = load_scenario(scenario, [*(overrides or []), *horizon])
        require_single_firm(spec, scenario)
        frames = write_animation(spec, seed, out, fps, force, overrides or [])
    console.print(f"Wrote {out} ({frames} frames, {spec.weeks} weeks of {spec.name}).")
