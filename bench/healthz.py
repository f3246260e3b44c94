"""GET /healthz of one Warden web process beside a bare Flask app on the same gunicorn settings.

Run from the repository root: `python bench/healthz.py [--seconds 10] [--connections 8]
[--service withdrawals] [--rounds 2]`. It starts the service's gunicorn as `warden up` does
(infra/gunicorn/gunicorn.conf.py: 2 workers x 4 gthreads, WardenThreadWorker, Prometheus
multiprocess mode, JSON request logs) on SQLite in a temporary directory, and a bare Flask app
answering `{"status": "ok"}` on gunicorn's gthread worker with the same workers, threads and
keep-alive. Each target is then driven in turn by a closed loop of `--connections` keep-alive
connections (wrk if installed, else httpx threads), alternating targets for `--rounds` rounds
so both see the same noise from a shared machine.

Two figures per target: requests a second, and CPU microseconds a request (user + system time
of the gunicorn master and workers, from /proc, over the requests answered). The machine's
cores are shared with the load generator, so the CPU figure is the steadier one. The last
line is a JSON object with both ratios (issue 14's target: Warden at least 0.7 of bare Flask).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processes import stop, tree_cpu_seconds  # noqa: E402

from shared.children import die_with_parent  # noqa: E402
from shared.ports import free_ports, wait_for_port  # noqa: E402

SECRET = "bench-healthz-secret-that-is-at-least-32-bytes"
GUNICORN_CONF = ROOT / "infra" / "gunicorn" / "gunicorn.conf.py"
BARE_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
"""


def start(command: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )


def warden(var: Path, service: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    metrics = var / "metrics"
    metrics.mkdir()
    env = {
        **os.environ,
        "WARDEN_VAR_DIR": str(var),
        "WARDEN_JWT_SECRET": SECRET,
        "WARDEN_WEB_THREADS": str(threads),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        f"services.{service}:create_app()",
    ]  # fmt: skip
    return start(command, ROOT, env, var / "warden.log")


def bare(var: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    (var / "bare_app.py").write_text(BARE_APP)
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        "--keep-alive", "5", "bare_app:app",
    ]  # fmt: skip
    return start(command, var, dict(os.environ), var / "bare.log")


def drive_wrk(url: str, seconds: float, connections: int) -> tuple[int, int]:
    """(requests answered 2xx, non-2xx or socket errors) from a closed wrk loop."""
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(g) for g in m.groups())
    return total - bad, bad


def drive_httpx(url: str, seconds: float, connections: int) -> tuple[int, int]:
    import httpx

    counts = [[0, 0] for _ in range(connections)]
    deadline = time.monotonic() + seconds

    def loop(count: list[int]) -> None:
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < deadline:
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                count[0 if ok else 1] += 1

    threads = [threading.Thread(target=loop, args=(c,)) for c in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def measure(url: str, pid: int, seconds: float, connections: int) -> dict:
    drive = drive_wrk if shutil.which("wrk") else drive_httpx
    drive(url, 1.0, connections)  # warm up: imports, first requests, metric files
    cpu0, t0 = tree_cpu_seconds(pid), time.monotonic()
    ok, bad = drive(url, seconds, connections)
    cpu, elapsed = tree_cpu_seconds(pid) - cpu0, time.monotonic() - t0
    return {"ok": ok, "errors": bad, "rps": ok / elapsed, "cpu_us": cpu / max(ok, 1) * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="withdrawals")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="warden-bench-healthz-"))
    warden_port, bare_port = free_ports(2)
    processes = {
        "warden": warden(var, args.service, warden_port, args.workers, args.threads),
        "bare": bare(var, bare_port, args.workers, args.threads),
    }
    urls = {
        "warden": f"http://127.0.0.1:{warden_port}/healthz",
        "bare": f"http://127.0.0.1:{bare_port}/healthz",
    }
    results: dict[str, list[dict]] = {"warden": [], "bare": []}
    try:
        wait_for_port("127.0.0.1", warden_port, 60)
        wait_for_port("127.0.0.1", bare_port, 60)
        for _ in range(args.rounds):
            for name in ("warden", "bare"):
                outcome = measure(urls[name], processes[name].pid, args.seconds, args.connections)
                results[name].append(outcome)
                print(
                    f"{name:7} {outcome['rps']:8.0f} req/s  {outcome['cpu_us']:6.0f} µs CPU/req"
                    f"  ({outcome['ok']} ok, {outcome['errors']} errors)",
                    flush=True,
                )
    finally:
        for process in processes.values():
            stop(process)
        shutil.rmtree(var, ignore_errors=True)
    summary = {}
    for name, runs in results.items():
        summary[f"{name}_rps"] = round(max(r["rps"] for r in runs))
        summary[f"{name}_cpu_us"] = round(min(r["cpu_us"] for r in runs))
        summary[f"{name}_errors"] = sum(r["errors"] for r in runs)
    summary["rps_ratio"] = round(summary["warden_rps"] / summary["bare_rps"], 2)
    summary["cpu_ratio"] = round(summary["bare_cpu_us"] / summary["warden_cpu_us"], 2)
    print(
        f"/healthz: Warden {summary['rps_ratio']:.2f} of bare Flask's rate, "
        f"{summary['cpu_ratio']:.2f} of its CPU efficiency (target 0.7)"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
