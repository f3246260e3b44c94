"""Real processes: /readyz ignores NATS, the worker's health port follows it, scrapes add up."""

import os
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.ports import free_ports
from shared.runner import System

SECRET = "e2e-secret-that-is-at-least-32-bytes-long"
WEB_WORKERS = 3


@pytest.fixture
def accounts(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    web_port, nats_port = free_ports(2)
    env.update(
        {
            "WARDEN_VAR_DIR": str(tmp_path / "var"),
            "WARDEN_JWT_SECRET": SECRET,
            "WARDEN_ACCOUNTS_PORT": str(web_port),
        }
    )
    with open(tmp_path / "system.log", "wb") as log:
        running = System(["accounts"], env, WEB_WORKERS, output=log, nats_port=nats_port)
        try:
            yield running.start()
        finally:
            running.stop()


def samples(url: str) -> dict:
    reply = httpx.get(f"{url}/metrics", timeout=5)
    assert reply.status_code == 200
    found = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def wait_for_status(url: str, status: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = httpx.get(url, timeout=3)
            if reply.status_code == status:
                return reply.json()
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        time.sleep(0.2)


def test_every_scrape_adds_up_all_gunicorn_workers(accounts):
    url = accounts.urls["accounts"]
    for _ in range(40):  # a new connection each time, so gunicorn spreads them over workers
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    key = (("endpoint", "/readyz"), ("method", "GET"), ("status", "200"))
    for _ in range(WEB_WORKERS * 2):  # whichever worker answers the scrape
        assert samples(url)[("warden_http_requests_total", key)] == 40
    directory = accounts.var / "metrics" / "accounts-web"
    assert list(directory.glob("counter_*.db")), "gunicorn did not run in multiprocess mode"


def test_nats_down_leaves_the_web_ready_and_makes_the_worker_unhealthy(accounts):
    web = accounts.urls["accounts"]
    worker = accounts.worker_health_urls["accounts"]
    healthy = wait_for_status(f"{worker}/healthz", 200)
    assert healthy["checks"]["nats"] == {"ok": True}
    running = samples(worker)
    consumers = healthy["checks"]["consumers"]["consumers"]
    assert consumers and all(c == {"running": True, "subscribed": True} for c in consumers.values())
    for name in consumers:
        assert running[("warden_consumer_running", (("consumer", name),))] == 1
    assert running[("warden_worker_nats_connected", ())] == 1

    accounts.nats.stop()
    try:
        unhealthy = wait_for_status(f"{worker}/healthz", 503)
        ready = httpx.get(f"{web}/readyz", timeout=5)
        assert unhealthy["checks"]["nats"] == {"ok": False}
        assert samples(worker)[("warden_worker_nats_connected", ())] == 0
        assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    finally:
        accounts.nats.start()
    assert wait_for_status(f"{worker}/healthz", 200)["status"] == "ok"
