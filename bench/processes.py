"""The processes a bench script starts: the CPU seconds of each tree (from /proc), and a stop."""

import os
import signal
import subprocess
from pathlib import Path


def cpu_by_tree(roots: dict[str, int]) -> dict[str, float]:
    """utime + stime of each named root with all its descendants."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    owner = {pid: name for name, pid in roots.items()}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in owner and pid not in owner:
                owner[pid] = owner[parent]
                grew = True
    totals = dict.fromkeys(roots, 0.0)
    for pid, name in owner.items():
        totals[name] += times.get(pid, 0.0)
    return totals


def tree_cpu_seconds(*roots: int) -> float:
    """utime + stime of `roots` and all their descendants."""
    return sum(cpu_by_tree({str(pid): pid for pid in roots}).values())


def stop(process: subprocess.Popen, grace: float = 25.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not gone within `grace` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
