"""The store contract, run against SQLite and PostgreSQL alike."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from shared import eventstore
from shared.db import make_engine, write_transaction
from shared.envelope import Actor, Context, NewEvent
from shared.schema import events

CTX = Context(Actor("system", "test"), datetime(2026, 1, 1, tzinfo=UTC), "corr-1")


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    eventstore.create_schema(engine)
    yield engine
    engine.dispose()


def append(engine, stream, expected, *types):
    with write_transaction(engine) as conn:
        return eventstore.append(
            conn, stream, expected, [NewEvent(t, {"n": i}) for i, t in enumerate(types)], CTX, "x"
        )


def test_append_returns_positions_versions_and_reads_back(engine):
    first = append(engine, "s-1", 0, "Opened", "Noted")
    second = append(engine, "s-2", 0, "Opened")
    assert [(e.position, e.version) for e in first + second] == [(1, 1), (2, 2), (3, 1)]
    with engine.connect() as conn:
        assert eventstore.read_stream(conn, "s-1") == first
        assert eventstore.read_after(conn, 1) == first[1:] + second
    assert first[0].envelope()["actor"] == {"role": "system", "sub": "test"}


def test_awkward_payloads_store_hash_and_read_back_exactly(engine):
    """The append path writes the rows' and the hash's JSON itself; it must be orjson's."""
    odd = 'quote " backslash \\ newline \n tab \t café 取款 \u2028 😀'
    new = [
        NewEvent(f"Noted {odd}", {"text": odd, "z": {"b": [1, 2.5, None, True], "a": {}}}),
        NewEvent("Versioned", {}, schema_version=2),
    ]
    context = Context(Actor("teller", odd), datetime(2026, 1, 1, 8, tzinfo=UTC), odd, odd, {"k": 1})
    with write_transaction(engine) as conn:
        stored = eventstore.append(conn, f"s-{odd}", 0, new, context, "x")
        stored += eventstore.append(conn, f"s-{odd}", 2, [NewEvent("Closed", {})], CTX, "x")
    with engine.connect() as conn:
        assert eventstore.read_stream(conn, f"s-{odd}") == stored
    assert stored[0].metadata["actor"] == {"role": "teller", "sub": odd}
    assert eventstore.verify(engine).ok


def test_two_engines_appending_in_turn_keep_one_gapless_chain(engine, database_url):
    """Each engine's remembered head goes stale when the other writes; appends still chain."""
    other = make_engine(database_url)
    try:
        for n in range(3):
            append(engine, f"a-{n}", 0, "Opened", "Noted")
            append(other, f"b-{n}", 0, "Opened")
    finally:
        other.dispose()
    with engine.connect() as conn:
        assert [e.position for e in eventstore.read_after(conn, 0)] == list(range(1, 10))
    assert eventstore.verify(engine).ok


def test_stale_expected_version_raises_and_changes_nothing(engine):
    append(engine, "s-1", 0, "Opened")
    with pytest.raises(eventstore.ConcurrencyError):
        append(engine, "s-1", 0, "Opened")
    later = append(engine, "s-2", 0, "Opened")
    assert later[0].position == 2  # the failed append left no gap
    assert eventstore.verify(engine).ok


def test_eight_threads_racing_on_one_stream_get_one_winner_per_version(engine):
    winners: list[int] = []
    losses = []
    barrier = threading.Barrier(8)

    def racer():
        barrier.wait()
        for _ in range(10):
            with engine.connect() as conn:
                current = len(eventstore.read_stream(conn, "hot"))
            try:
                stored = append(engine, "hot", current, "Bumped")
                winners.append(stored[0].version)
            except eventstore.ConcurrencyError:
                losses.append(current)

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        stream = eventstore.read_stream(conn, "hot")
    assert sorted(winners) == list(range(1, len(winners) + 1))
    assert [e.version for e in stream] == sorted(winners)
    assert len(winners) + len(losses) == 80
    assert eventstore.verify(engine).ok


def test_tailing_reader_sees_every_event_once_in_order_without_gaps(engine):
    writers, per_writer = 4, 25
    done = threading.Event()
    seen: list[int] = []

    def write(n):
        for i in range(per_writer):
            append(engine, f"w{n}-{i}", 0, "Made", "Made")

    def tail():
        position = 0
        while True:
            finished = done.is_set()
            with engine.connect() as conn:
                batch = eventstore.read_after(conn, position, 7)
            seen.extend(e.position for e in batch)
            if batch:
                position = batch[-1].position
            elif finished:
                return

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    assert seen == list(range(1, writers * per_writer * 2 + 1))


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE events SET data = '{\"n\": 99}' WHERE position = 2",
        "DELETE FROM events WHERE position = 2",
        "UPDATE events SET type = 'Forged' WHERE position = 3",
    ],
)
def test_tampered_log_fails_verify(engine, tamper):
    append(engine, "s-1", 0, "Opened", "Noted", "Closed")
    assert eventstore.verify(engine).ok
    with write_transaction(engine) as conn:
        conn.execute(text(tamper))
    report = eventstore.verify(engine)
    assert not report.ok
    assert report.position in (2, 3)


def test_reordered_log_fails_verify(engine):
    append(engine, "s-1", 0, "Opened", "Noted")
    with write_transaction(engine) as conn:
        conn.execute(update(events).where(events.c.position == 1).values(position=-1))
        conn.execute(update(events).where(events.c.position == 2).values(position=1))
        conn.execute(update(events).where(events.c.position == -1).values(position=2))
    assert not eventstore.verify(engine).ok


def test_postgres_append_notifies_listeners_on_commit(postgres_url):
    """The relay sleeps on LISTEN; a committed append must wake it (and a rollback must not)."""
    import psycopg

    engine = make_engine(postgres_url)
    eventstore.create_schema(engine)
    with psycopg.connect(postgres_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {eventstore.NOTIFY_CHANNEL}")
        with pytest.raises(RuntimeError), write_transaction(engine) as conn:
            eventstore.append(conn, "s-1", 0, [NewEvent("Opened", {})], CTX, "x")
            raise RuntimeError("rolled back")
        assert list(listener.notifies(timeout=0.5)) == []
        append(engine, "s-1", 0, "Opened")
        (note,) = list(listener.notifies(timeout=5, stop_after=1))
        assert note.channel == eventstore.NOTIFY_CHANNEL
    engine.dispose()
