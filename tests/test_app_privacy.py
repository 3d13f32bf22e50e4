"""The classroom app keeps to the machine it runs on, and stops, all of it, when told to.

No outside connection: `adoptsim app` runs under strace, which records, at the level of system calls, every
connect() and every sendto()/sendmsg() to an address made by adoptsim, the Solara server and anything they
start, from start to stop (Solara's telemetry also reported at stop). Each Python process of it also runs an
audit hook that records every host name looked up and every address connected to, which catches a name lookup
even where the system's resolver hands it to a local daemon (nscd, systemd-resolved) over a local socket. Both
records may hold nothing but 127.0.0.1 or ::1 on the app's port and local (AF_UNIX) sockets. Once with the page
fetched over HTTP, once with it loaded and stepped in Chromium, so that every asset the page asks for comes from
the installed front-end (Solara fetches a missing one from a CDN).

Stopping: SIGTERM, SIGINT (Ctrl+C) and SIGHUP (the terminal closed) to the `adoptsim app` process stop the
Solara server and everything in its process group, and nothing listens on the port any more. SIGKILL, which
cannot be passed on, stops them too: the server asked Linux for SIGTERM when its parent dies.

Linux only (strace, /proc). strace is needed for the privacy tests: they skip without it, except in CI (`CI`
set, or ADOPTSIM_REQUIRE_BROWSER=1 as .ci/run sets), where .ci/run installs it and a missing or unusable strace
fails them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from sim.classroom import SOLARA_PRIVACY, app_environment
from sim.cli.classroom import solara_command
from tests.test_report import BROWSER_REQUIRED, CHROMIUM, CHROMIUM_ARGS, require_chromium

ROOT = Path(__file__).resolve().parent.parent
LESSON = "lessons/fragmentation"
START_TIMEOUT = 120
"""Seconds the app may take to listen (about 3 s is usual, a little more under strace)."""
STOP_TIMEOUT = 20
"""Seconds `adoptsim app` may take to stop once signalled (about 1 s is usual)."""
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"}
STRACE_REQUIRED = BROWSER_REQUIRED or os.environ.get("CI", "").lower() not in ("", "0", "false")
"""In CI (`CI` set, or .ci/run's ADOPTSIM_REQUIRE_BROWSER=1), which installs strace, the privacy tests must run."""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")

AUDIT_HOOK = '''
"""Test hook (tests/test_app_privacy.py): record every name lookup and every connection of this process."""
import json, os, sys

_LOG = os.environ["ADOPTSIM_NETWORK_LOG"]
_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
_SENDS = {"socket.connect", "socket.sendto", "socket.sendmsg"}


def _record(event, args):
    if event in _LOOKUPS:
        target = args[0]
    elif event in _SENDS:
        target = args[1]
    else:
        return
    if isinstance(target, tuple):
        target = list(target[:2])
    elif not isinstance(target, (str, type(None))):
        target = repr(target)
    with open(_LOG, "a") as log:
        log.write(json.dumps([os.getpid(), event, target]) + "\\n")


with open(_LOG, "a") as _log:
    _log.write(json.dumps([os.getpid(), "start", sys.argv[:3]]) + "\\n")
sys.addaudithook(_record)
'''


# ---------------------------------------------------------------------------------------------------------------
# Processes and ports, from /proc


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    group: int
    state: str


def processes() -> list[Process]:
    """Every process now (from /proc/PID/stat; the command name may hold spaces and brackets)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found.append(Process(int(entry.name), int(fields[1]), int(fields[2]), fields[0]))
    return found


def children(pid: int) -> list[int]:
    return [process.pid for process in processes() if process.parent == pid]


def command_line(pid: int) -> list[str]:
    """A process's command line (empty once it has gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Whether a process exists and has not exited (a zombie has)."""
    return any(process.pid == pid and process.state != "Z" for process in processes())


def group_members(group: int) -> list[int]:
    """The live processes of a process group (zombies, already dead, are not counted)."""
    return [process.pid for process in processes() if process.group == group and process.state != "Z"]


def listening(port: int) -> bool:
    """Whether any socket listens on the TCP port (IPv4 or IPv6)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float, what: str, log: Path) -> None:
    """Wait until the condition holds; fail with the app's messages if it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} (not within {timeout} s); the app's messages:\n{log.read_text()}")
        time.sleep(0.1)


def kill_group(group: int) -> None:
    """SIGKILL whatever is left of a process group."""
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Started:
    """A process started by a test, and the process groups of what it started (the app server's)."""

    process: subprocess.Popen
    log: Path
    groups: set[int]

    @property
    def pid(self) -> int:
        return self.process.pid

    def child(self, pid: int, what: str, module: str) -> int:
        """The child process of `pid` that runs `python -m module`, once it runs it (strace, for one, first
        forks short-lived copies of itself to probe the system); its process group is killed on the way out."""

        def running() -> list[int]:
            if not alive(pid):
                pytest.fail(f"{what} was not started: its parent exited; the app's messages:\n{self.log.read_text()}")
            return [child for child in children(pid) if command_line(child)[:3] == [sys.executable, "-m", module]]

        wait_until(lambda: running(), START_TIMEOUT, f"{what} did not start", self.log)
        (child,) = running()
        self.groups.add(child)
        return child


@contextmanager
def started(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[Started]:
    """A process in a session of its own; whatever is left of it, and of the process groups started under it,
    is killed on the way out, also when the test fails."""
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
        )
    handle = Started(process, log, {process.pid})
    try:
        yield handle
    finally:
        descendants = tree(process.pid)
        groups = handle.groups | {found.group for found in processes() if found.pid in descendants}
        for group in groups - {os.getpgrp()}:
            kill_group(group)
        process.wait()


def tree(pid: int) -> set[int]:
    """A process and its descendants."""
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += children(current)
    return found


def app_command(port: int) -> list[str]:
    return [sys.executable, "-m", "sim", "app", LESSON, "--port", str(port), "--no-browser"]


# ---------------------------------------------------------------------------------------------------------------
# Telemetry off


def test_the_server_environment_turns_solaras_telemetry_off_whatever_the_users_says(monkeypatch) -> None:
    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "true")
    monkeypatch.setenv("solara_telemetry_mixpanel_enable", "True")
    environment = app_environment(ROOT / "scenarios" / "baseline.yaml", [])
    assert environment["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert "solara_telemetry_mixpanel_enable" not in environment
    assert "--no-check-version" in solara_command(8765)
    # Solara itself, started with that environment, has its telemetry off.
    shown = subprocess.run(
        [sys.executable, "-c", "import json, solara.server.settings as s; print(json.dumps(s.telemetry.dict()))"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    telemetry = json.loads(shown.stdout)
    assert telemetry["mixpanel_enable"] is False
    assert telemetry["mixpanel_token"] == ""
    assert {f"SOLARA_TELEMETRY_{key.upper()}" for key in telemetry} >= set(SOLARA_PRIVACY)


# ---------------------------------------------------------------------------------------------------------------
# No outside connection


@cache
def strace_problem() -> str | None:
    """Why strace cannot trace here, or None if it can."""
    if shutil.which("strace") is None:
        return "needs strace (apt-get install -y strace)"
    probe = subprocess.run(["strace", "-f", "-e", "trace=connect", "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def require_strace() -> None:
    """Skip where strace is missing or cannot trace, but fail in CI, which installs it."""
    problem = strace_problem()
    if problem is None:
        return
    if STRACE_REQUIRED:
        pytest.fail(problem + "; CI must run the privacy tests (.ci/run installs strace)")
    pytest.skip(problem)


ADDRESS = re.compile(
    r"sa_family=AF_INET6?, (?:sin_port=htons\((?P<port4>\d+)\), sin_addr=inet_addr\(\"(?P<host4>[^\"]+)\"\)"
    r"|sin6_port=htons\((?P<port6>\d+)\).*?inet_pton\(AF_INET6, \"(?P<host6>[^\"]+)\")"
)
FAMILY = re.compile(r"sa_family=(AF_\w+)")
LOCAL_SOCKET = re.compile(r'sun_path=(@?"[^"]*")')
NAME_SERVICES = ("/run/systemd/resolve/", "avahi-daemon/socket")
"""Local sockets that lead to a name server: a connection there is a name lookup."""


def outside_connections(trace: str, port: int) -> list[str]:
    """The lines of an strace log that connect or send to anywhere but the app's port on 127.0.0.1 or ::1 (or
    to a local socket that looks host names up)."""
    found = []
    for line in trace.splitlines():
        families = FAMILY.findall(line)
        if not families:
            continue
        for family in families:
            if family in ("AF_INET", "AF_INET6"):
                address = ADDRESS.search(line)
                if address is None:
                    found.append(line)
                    continue
                host = address["host4"] or address["host6"]
                if host not in LOOPBACK or int(address["port4"] or address["port6"]) != port:
                    found.append(line)
            elif family == "AF_UNIX":
                if any(service in line for service in NAME_SERVICES):
                    found.append(line)
            elif family != "AF_UNSPEC":  # AF_UNSPEC: a datagram socket disconnected, nothing sent
                found.append(line)
    return found


def outside_calls(records: list[list], port: int) -> list[list]:
    """The audit records that look up a host name other than the loopback's, or connect or send to anywhere but
    the app's port on the loopback (a local socket's path is a string)."""
    found = []
    for pid, event, target in records:
        if event == "socket.getnameinfo":
            target = target[0] if isinstance(target, list) else target
        if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"):
            if target not in LOOPBACK and target not in ("", None):
                found.append([pid, event, target])
        elif event.startswith("socket.") and isinstance(target, list):
            if target[0] not in LOOPBACK or target[1] != port:
                found.append([pid, event, target])
    return found


@dataclass
class Traced:
    """`adoptsim app` serving under strace and the audit hook."""

    port: int
    app: int
    server: int
    strace: subprocess.Popen
    trace_file: Path
    audit_file: Path
    log: Path

    def stop(self) -> None:
        """SIGTERM to `adoptsim app`, as `kill PID` would, and wait until everything traced has ended."""
        os.kill(self.app, signal.SIGTERM)
        try:
            self.strace.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the app did not stop within {STOP_TIMEOUT} s of SIGTERM:\n{self.log.read_text()}")

    def check_nothing_went_outside(self) -> None:
        """Both records hold connections of the app and of the server, and none outside."""
        trace = self.trace_file.read_text()
        records = [json.loads(line) for line in self.audit_file.read_text().splitlines()]
        started = {pid for pid, event, _ in records if event == "start"}
        # The records are not empty by accident: adoptsim's wait for the port is in both, and the server's
        # processes were traced and hooked.
        assert f"htons({self.port})" in trace
        assert re.search(rf"^{self.server}\s", trace, re.MULTILINE), "strace did not follow the server"
        assert started >= {self.app, self.server}, "the audit hook did not run in both"
        connections, calls = outside_connections(trace, self.port), outside_calls(records, self.port)
        assert not connections and not calls, "\n".join(
            [f"the app went beyond 127.0.0.1:{self.port} (log: {self.trace_file}, {self.audit_file})"]
            + [f"strace: {line}" for line in connections]
            + [f"audit hook: {json.dumps(record)}" for record in calls]
        )
        assert "Stopped the classroom app." in self.log.read_text()


@contextmanager
def traced_app(tmp_path: Path) -> Iterator[Traced]:
    """`adoptsim app` under `strace -f` with the audit hook in every Python process, once it listens."""
    require_strace()
    port = free_port()
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    trace_file, audit_file, log = tmp_path / "connect.trace", tmp_path / "audit.jsonl", tmp_path / "app.log"
    path = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "ADOPTSIM_NETWORK_LOG": str(audit_file)}
    strace = ["strace", "-f", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace_file)]
    with started([*strace, *app_command(port)], log, env) as tracer:
        app = tracer.child(tracer.pid, "adoptsim app", "sim")
        server = tracer.child(app, "the app server", "solara")
        wait_until(lambda: accepts(port), START_TIMEOUT, f"the app did not listen on port {port}", log)
        yield Traced(port, app, server, tracer.process, trace_file, audit_file, log)


def test_serving_the_page_connects_to_nothing_outside_the_machine_from_start_to_stop(tmp_path: Path) -> None:
    with traced_app(tmp_path) as app:
        with urllib.request.urlopen(f"http://127.0.0.1:{app.port}/", timeout=60) as page:
            assert page.status == 200
            assert b"solara" in page.read().lower()
        app.stop()
    app.check_nothing_went_outside()


def test_the_app_in_a_browser_connects_to_nothing_outside_the_machine(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with traced_app(tmp_path) as app:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{app.port}/")
                status = page.locator(".adoptsim-status")
                expect(status).to_contain_text("Week 0 of 104", timeout=60_000)
                page.get_by_role("button", name="Step", exact=True).click()
                expect(status).to_contain_text("Week 1 of 104", timeout=60_000)
            finally:
                browser.close()
        app.stop()
    app.check_nothing_went_outside()


def test_the_trace_check_sees_lookups_and_outside_connections() -> None:
    """The checks themselves: what Solara's telemetry did before it was turned off is caught."""
    trace = """\
101  connect(3, {sa_family=AF_UNIX, sun_path="/run/uuidd/request"}, 110) = -1 ENOENT (No such file or directory)
101  connect(12, {sa_family=AF_INET, sin_port=htons(8765), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
102  connect(12, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0
102  connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0
102  connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
102  connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \
"2606:4700::6810:1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)
102  connect(6, {sa_family=AF_INET6, sin6_port=htons(8765), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", \
&sin6_addr), sin6_scope_id=0}, 28) = 0
102  connect(7, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42) = 0
102  sendmsg(8, {msg_name={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, ...}, 0) = 40
102  connect(9, {sa_family=AF_UNSPEC, sa_data="\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"}, 16) = 0
101  sendto(12, "HTTP/1.1 200 OK\\r\\ndate: Wed, 02 D"..., 288, 0, NULL, 0) = 288
"""
    caught = outside_connections(trace, 8765)
    assert [line.split("(", 1)[1].split(",")[0] for line in caught] == ["12", "4", "4", "5", "7", "8"]
    records = [
        [101, "socket.connect", ["127.0.0.1", 8765]],
        [101, "socket.getaddrinfo", "127.0.0.1"],
        [101, "socket.connect", "/run/uuidd/request"],
        [102, "socket.getaddrinfo", "api.ipify.org"],
        [102, "socket.connect", ["104.18.0.1", 443]],
        [102, "socket.connect", ["127.0.0.1", 53]],
        [102, "socket.getnameinfo", ["127.0.0.1", 0]],
    ]
    assert outside_calls(records, 8765) == [records[3], records[4], records[5]]


# ---------------------------------------------------------------------------------------------------------------
# Stopping


@pytest.mark.parametrize(
    ("signum", "when"),
    [
        (signal.SIGTERM, "listening"),
        (signal.SIGINT, "listening"),
        (signal.SIGHUP, "listening"),
        (signal.SIGTERM, "starting"),
    ],
    ids=["SIGTERM", "SIGINT", "SIGHUP", "SIGTERM-while-starting"],
)
def test_a_stop_signal_stops_the_server_and_its_whole_process_group(
    tmp_path: Path, signum: signal.Signals, when: str
) -> None:
    port, log = free_port(), tmp_path / "app.log"
    with started(app_command(port), log) as started_app:
        app = started_app.process
        server = started_app.child(app.pid, "the app server", "solara")
        wait_until(lambda: os.getpgid(server) == server, 10, "the server did not get a process group of its own", log)
        if when == "listening":
            wait_until(lambda: accepts(port), START_TIMEOUT, f"the app did not listen on port {port}", log)
        os.kill(app.pid, signum)
        try:
            app.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"adoptsim app did not stop within {STOP_TIMEOUT} s of {signum.name}:\n{log.read_text()}")
        # adoptsim waits for the server and clears its group before it exits: nothing is left at all.
        assert not alive(server), f"the server was left running after {signum.name}"
        assert group_members(server) == [], f"left running in the server's group after {signum.name}"
        assert not listening(port)
        assert not accepts(port)
        messages = log.read_text()
        assert app.returncode == 0, messages
        assert "Stopped the classroom app." in messages
        assert "did not start listening" not in messages
        assert "Traceback" not in messages


KILLED_TIMEOUT = 10
"""Seconds the server may take to stop once `adoptsim app` is killed (about 1 s is usual)."""


@pytest.mark.parametrize("when", ["listening", "starting"])
def test_killing_adoptsim_app_stops_the_server_too(tmp_path: Path, when: str) -> None:
    """SIGKILL cannot be caught, so adoptsim cannot pass it on: the server asked Linux for SIGTERM when its
    parent dies (PR_SET_PDEATHSIG), and its whole process group goes, leaving the port free."""
    port, log = free_port(), tmp_path / "app.log"
    with started(app_command(port), log) as started_app:
        app = started_app.process
        server = started_app.child(app.pid, "the app server", "solara")
        wait_until(lambda: os.getpgid(server) == server, 10, "the server did not get a process group of its own", log)
        if when == "listening":
            wait_until(lambda: accepts(port), START_TIMEOUT, f"the app did not listen on port {port}", log)
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=STOP_TIMEOUT)
        wait_until(
            lambda: group_members(server) == [] and not listening(port),
            KILLED_TIMEOUT,
            "the server's process group outlived the killed adoptsim app",
            log,
        )
        assert not alive(server)
        assert not accepts(port)
        assert "Traceback" not in log.read_text()


def test_a_server_whose_parent_died_before_it_could_ask_exits_at_once(monkeypatch) -> None:
    """If adoptsim app died between fork and prctl, the server would never get the signal: it sees that its
    parent is not the one that started it and exits instead of running on."""
    from sim.cli import classroom

    quick = [sys.executable, "-c", "pass"]
    assert subprocess.run(quick, preexec_fn=classroom.die_with_parent(), check=False).returncode == 0
    monkeypatch.setattr(os, "getpid", lambda: 1)  # as if started by a parent that has gone since
    orphaned = classroom.die_with_parent()
    monkeypatch.undo()
    assert subprocess.run(quick, preexec_fn=orphaned, check=False).returncode == 1
