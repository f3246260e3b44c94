"""The database each service's contract module fuzzes against: SQLite, then PostgreSQL."""

import os
import uuid

import pytest

from shared.testing import servers


@pytest.fixture(params=["sqlite", "postgres"], scope="module")
def contract_database(request, server_pool, tmp_path_factory):
    """One database per service module and engine: the fuzzing builds up state as it goes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('contract') / 'service.db'}"
        return
    admin = server_pool.postgres_admin_url()
    name = f"t{os.environ['WARDEN_TEST_RUN_ID']}c{uuid.uuid4().hex[:10]}"  # set by tests/conftest
    yield servers.create_database(admin, name)
    servers.drop_database(admin, name)
