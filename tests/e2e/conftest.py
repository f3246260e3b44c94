"""The whole system as real processes, once on SQLite and once on PostgreSQL.

Tests talk to it only over HTTP, with tokens minted as a client would; they never import
service internals.
"""

import os
import time
import uuid

import httpx
import pytest

from shared.cli import SERVICES
from shared.ports import free_ports
from shared.runner import System
from shared.testing import servers
from shared.tokens import mint_token

SECRET = "e2e-secret-that-is-at-least-32-bytes-long"


class Api:
    """An HTTP client for one service, holding a bearer token per role."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def call(self, method: str, path: str, role: str = "system", sub: str = "e2e", **kwargs):
        claims = kwargs.pop("claims", {})
        token = mint_token(SECRET, sub, role, **claims)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def close(self):
        self.http.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def system(request, tmp_path_factory, server_pool):
    unique_name = f"t{os.environ['WARDEN_TEST_RUN_ID']}{uuid.uuid4().hex[:8]}"
    var = tmp_path_factory.mktemp(f"e2e-{request.param}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update({"WARDEN_VAR_DIR": str(var), "WARDEN_JWT_SECRET": SECRET})
    env.update(getattr(request.module, "SYSTEM_ENV", {}))
    created = []
    *web_ports, portal_port, nats_port = free_ports(len(SERVICES) + 2)
    env["WARDEN_PORTAL_PORT"] = str(portal_port)
    for name, port in zip(SERVICES, web_ports, strict=True):
        env[f"WARDEN_{name.upper()}_PORT"] = str(port)
        if request.param == "postgres":
            database = f"{name}_{unique_name}"
            admin = server_pool.postgres_admin_url()
            env[f"WARDEN_{name.upper()}_DATABASE_URL"] = servers.create_database(admin, database)
            created.append((admin, database))
    log = open(var / "system.log", "wb")  # noqa: SIM115 - closed after the system stops
    running = System(list(SERVICES), env, output=log, nats_port=nats_port)
    running.backend = request.param
    try:
        running.start()
        yield running
    finally:
        running.stop()
        log.close()
        for admin, database in created:
            servers.drop_database(admin, database)


@pytest.fixture(scope="module")
def api(system):
    clients = {name: Api(url) for name, url in system.urls.items()}
    yield clients
    for client in clients.values():
        client.close()


def eventually(probe, timeout: float = 45.0, interval: float = 0.2):
    """Call `probe` until it returns something truthy (cross-service effects are eventual)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {probe.__doc__ or probe}")
        time.sleep(interval)
