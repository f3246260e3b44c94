"""Retention: the worker keeps idempotency keys, inbox rows and dead letters from growing."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, inspect, select

from shared import eventstore
from shared.config import Settings, load_settings
from shared.db import make_engine, read_transaction, write_transaction
from shared.retention import prune
from shared.schema import dead_letters, idempotency_keys, inbox
from shared.service import ServiceSpec
from shared.testing.waiting import eventually
from shared.worker import run_worker

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    eventstore.create_schema(engine)
    yield engine
    engine.dispose()


def settings(database_url: str, **overrides) -> Settings:
    return replace(Settings(service="ledger", database_url=database_url), **overrides)


def add_key(conn, key: str, age: timedelta) -> None:
    conn.execute(
        insert(idempotency_keys).values(
            scope="t-1 POST /v1/notes/", key=key, request_hash="h", created_at=NOW - age
        )
    )


def add_inbox(conn, event_id: str, age: timedelta) -> None:
    conn.execute(
        insert(inbox).values(
            consumer="c", event_id=event_id, subject="ledger.x.Y", processed_at=NOW - age
        )
    )


def add_dead_letter(conn, letter_id: str, age: timedelta, resolved_age: timedelta | None):
    conn.execute(
        insert(dead_letters).values(
            id=letter_id,
            consumer="c",
            subject="ledger.x.Y",
            payload=b"{}",
            error="boom",
            attempts=5,
            created_at=NOW - age,
            resolved_at=None if resolved_age is None else NOW - resolved_age,
            resolution=None if resolved_age is None else "retried",
        )
    )


def remaining(engine) -> dict[str, list[str]]:
    with read_transaction(engine) as conn:
        return {
            "keys": sorted(conn.execute(select(idempotency_keys.c.key)).scalars()),
            "inbox": sorted(conn.execute(select(inbox.c.event_id)).scalars()),
            "dead": sorted(conn.execute(select(dead_letters.c.id)).scalars()),
        }


def test_expired_keys_old_inbox_rows_and_long_resolved_dead_letters_are_pruned(
    engine, database_url
):
    day = timedelta(days=1)
    with write_transaction(engine) as conn:
        add_key(conn, "expired", timedelta(hours=24, minutes=1))
        add_key(conn, "live", timedelta(hours=23))
        add_inbox(conn, "old", 31 * day)
        add_inbox(conn, "recent", 29 * day)
        add_dead_letter(conn, "parked-long-ago", 400 * day, None)
        add_dead_letter(conn, "resolved-long-ago", 60 * day, 31 * day)
        add_dead_letter(conn, "resolved-lately", 60 * day, 2 * day)
    deleted = prune(engine, settings(database_url), NOW)
    assert deleted == {"idempotency_keys": 1, "inbox": 1, "dead_letters": 1}
    assert remaining(engine) == {
        "keys": ["live"],
        "inbox": ["recent"],
        "dead": ["parked-long-ago", "resolved-lately"],  # an unresolved one stays however old
    }
    assert prune(engine, settings(database_url), NOW) == dict.fromkeys(deleted, 0)


def test_retention_periods_are_settings(engine, database_url):
    with write_transaction(engine) as conn:
        add_inbox(conn, "three-days", timedelta(days=3))
        add_dead_letter(conn, "resolved-three-days", timedelta(days=9), timedelta(days=3))
    short = settings(database_url, inbox_retention_days=2, dead_letter_retention_days=2.5)
    assert prune(engine, settings(database_url), NOW) == {
        "idempotency_keys": 0,
        "inbox": 0,
        "dead_letters": 0,
    }
    assert prune(engine, short, NOW) == {"idempotency_keys": 0, "inbox": 1, "dead_letters": 1}


def test_a_run_deletes_in_bounded_batches_and_the_next_run_goes_on(engine, database_url):
    with write_transaction(engine) as conn:
        for i in range(7):
            add_key(conn, f"expired-{i}", timedelta(days=2))
    bounded = settings(database_url, retention_batch_size=2, retention_batches_per_run=3)
    assert prune(engine, bounded, NOW)["idempotency_keys"] == 6
    assert len(remaining(engine)["keys"]) == 1
    assert prune(engine, bounded, NOW)["idempotency_keys"] == 1
    assert remaining(engine)["keys"] == []


def test_the_tables_have_the_indexes_pruning_reads_by(engine):
    names = {
        table: {index["name"] for index in inspect(engine).get_indexes(table)}
        for table in ("idempotency_keys", "inbox", "dead_letters")
    }
    assert "ix_idempotency_keys_created_at" in names["idempotency_keys"]
    assert "ix_inbox_processed_at" in names["inbox"]
    assert "ix_dead_letters_resolved_at" in names["dead_letters"]


def test_the_worker_prunes_on_its_schedule(database_url, nats_url, nats_namespace):
    engine = make_engine(database_url)
    eventstore.create_schema(engine)
    with write_transaction(engine) as conn:
        shift = NOW - datetime.now(UTC)  # the worker prunes by the real clock
        add_key(conn, "expired", shift + timedelta(days=2))
        add_key(conn, "live", shift + timedelta(hours=1))
    worker_settings = settings(
        database_url,
        nats_url=nats_url,
        nats_namespace=nats_namespace,
        retention_every_seconds=0.05,
    )

    async def scenario():
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(ServiceSpec(name="ledger"), worker_settings, stop))
        try:
            return await eventually(lambda: remaining(engine)["keys"] == ["live"])
        finally:
            stop.set()
            await worker

    try:
        assert asyncio.run(scenario())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "name",
    [
        "retention_every_seconds",
        "retention_batch_size",
        "retention_batches_per_run",
        "inbox_retention_days",
        "dead_letter_retention_days",
    ],
)
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_retention_setting_must_be_positive(monkeypatch, name, value):
    monkeypatch.setenv(f"WARDEN_{name.upper()}", value)
    with pytest.raises(RuntimeError, match=f"WARDEN_{name.upper()} must be more than 0"):
        load_settings("ledger")


def test_retention_defaults():
    defaults = load_settings("ledger")
    assert (defaults.inbox_retention_days, defaults.dead_letter_retention_days) == (30.0, 30.0)
    assert (defaults.retention_every_seconds, defaults.retention_batch_size) == (3600.0, 500)
    assert defaults.retention_batches_per_run == 20
