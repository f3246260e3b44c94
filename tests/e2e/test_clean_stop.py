"""`warden up` stops cleanly on SIGTERM, and leaves no child behind when it is killed -9.

Each test runs `warden up` as a real process group on free ports with SQLite in tmp_path,
reading what it and its children print from one file.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.cli import SERVICES
from shared.ports import free_ports

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; children die with it via prctl"
)

READY_LINE = "Ctrl-C stops everything."


def start_up(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env["WARDEN_VAR_DIR"] = str(tmp_path / "var")
    *web_ports, portal_port, nats_port = free_ports(len(SERVICES) + 2)
    for name, port in zip(SERVICES, web_ports, strict=True):
        env[f"WARDEN_{name.upper()}_PORT"] = str(port)
    env["WARDEN_PORTAL_PORT"] = str(portal_port)
    output = tmp_path / "up.log"
    with output.open("wb") as sink:
        up = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "up", "--nats-port", str(nats_port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal would start it
        )
    deadline = time.monotonic() + 120
    while READY_LINE not in output.read_text(errors="replace"):
        if up.poll() is not None or time.monotonic() > deadline:
            up.kill()
            pytest.fail(f"warden up did not come up:\n{output.read_text(errors='replace')}")
        time.sleep(0.2)
    return up, output


def error_lines(text: str) -> list[str]:
    """Lines an operator's log pipeline would raise as errors: JSON records at error level
    or above, gunicorn's [ERROR]/[CRITICAL], and any traceback."""
    found = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            if str(record.get("level", "")).lower() in ("error", "critical", "exception"):
                found.append(line)
        elif "[ERROR]" in line or "[CRITICAL]" in line or "Traceback" in line:
            found.append(line)
    return found


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, name) of a live process, None when gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    state, ppid = raw[raw.rindex(")") + 2 :].split()[:2]
    return None if state in ("Z", "X") else (int(ppid), state, name)


def descendants(root: int) -> dict[int, str]:
    """Every live process below `root` (children start sessions of their own: walk ppids)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            parents[int(entry.name)] = stat
    found, frontier = {}, {root}
    while frontier:
        frontier = {pid for pid, (ppid, _, _) in parents.items() if ppid in frontier}
        found.update({pid: parents[pid][2] for pid in frontier})
    return found


def test_sigterm_stops_everything_with_exit_0_and_no_error_lines(tmp_path):
    up, output = start_up(tmp_path)
    children = descendants(up.pid)
    try:
        up.send_signal(signal.SIGTERM)
        up.wait(90)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    text = output.read_text(errors="replace")
    assert up.returncode == 0, text
    assert "Warden stopped." in text
    assert error_lines(text) == [], text
    # Each worker stopped by itself (no kill after the grace period) and said so at info level.
    for name in SERVICES:
        assert f"worker {name} stopped" in text, text
    # NATS stops last: no worker lost its connection while it was still draining.
    assert "reconnecting" not in text, text
    assert [pid for pid in children if _stat(pid)] == []


def test_children_do_not_outlive_a_killed_warden_up(tmp_path):
    up, output = start_up(tmp_path)
    children = descendants(up.pid)
    names = set(children.values())
    assert "nats-server" in names, children
    assert len(children) >= 1 + 2 * len(SERVICES) + 1, children  # NATS, webs, workers, portal
    os.kill(up.pid, signal.SIGKILL)
    up.wait(10)
    deadline = time.monotonic() + 60
    left = dict(children)
    while left and time.monotonic() < deadline:
        left = {pid: name for pid, name in left.items() if _stat(pid)}
        time.sleep(0.2)
    for pid in left:  # do not leave them to the next test
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    assert left == {}, f"still running after warden up was killed: {left}"
