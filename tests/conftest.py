"""Fixtures for real servers: every run gets its own databases and NATS namespace."""

import os
import uuid

import pytest
from latency import print_latency

from shared.testing import servers

pytest_plugins = ["web_support"]

# Set once in the controlling process; xdist workers inherit it, so names say which run made them.
RUN_ID = os.environ.setdefault("WARDEN_TEST_RUN_ID", uuid.uuid4().hex[:8])


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw")


@pytest.fixture(scope="session")
def server_pool():
    pool = servers.ServerPool()
    yield pool
    pool.close()


@pytest.fixture
def unique_name(request) -> str:
    """A short name unique to this run, worker and test."""
    return f"t{RUN_ID}{_worker()}{uuid.uuid4().hex[:6]}"


@pytest.fixture
def postgres_url(server_pool, unique_name):
    admin = server_pool.postgres_admin_url()
    url = servers.create_database(admin, unique_name)
    yield url
    servers.drop_database(admin, unique_name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/warden.db"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    """The same test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def nats_url(server_pool) -> str:
    return server_pool.nats_url()


@pytest.fixture
def nats_namespace(unique_name) -> str:
    """Subject prefix and stream-name prefix that no other run or test shares."""
    return f"{unique_name}."


def pytest_terminal_summary(terminalreporter):
    """Print this run's cross-service latency figures, if the e2e tests measured any."""
    print_latency(terminalreporter, os.environ.get("WARDEN_TEST_RUN_ID", ""))
