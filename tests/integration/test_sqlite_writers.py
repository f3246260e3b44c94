"""SQLite writers of one process queue on a lock in shared.db, not in SQLite's busy handler.

A BEGIN IMMEDIATE that finds the database locked sleeps and polls (1, 2, 5 ... 100 ms), so a
writer that waited behind a 1 ms one could take tens of milliseconds more. With the lock, the
waiting writer does not even take a connection from the pool until the holder has committed
(left to SQLite, it would hold one, asleep in BEGIN IMMEDIATE).
"""

import threading

import pytest
from sqlalchemy import text

from shared.db import begin_shared, make_engine, write_transaction


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/writers.db")
    with write_transaction(engine) as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    # Two pooled connections made now: a new one's PRAGMAs would wait on the lock themselves.
    first, second = engine.connect(), engine.connect()
    first.close(), second.close()
    yield engine
    engine.dispose()


def _second_writer(engine, started: threading.Event) -> threading.Thread:
    def write():
        started.set()
        with write_transaction(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES ('second')"))

    return threading.Thread(target=write, name="second")


def test_a_second_writer_waits_for_the_first_to_commit_before_it_takes_a_connection(engine):
    started = threading.Event()
    second = _second_writer(engine, started)
    with write_transaction(engine) as conn:
        conn.execute(text("INSERT INTO t VALUES ('first')"))
        second.start()
        started.wait(5)
        second.join(0.3)  # time enough to reach BEGIN, were it not queued
        assert second.is_alive() and engine.pool.checkedout() == 1
    second.join(10)
    assert not second.is_alive()
    with write_transaction(engine) as conn:
        assert [r.who for r in conn.execute(text("SELECT who FROM t"))] == ["first", "second"]


def test_a_writer_that_fails_lets_the_next_one_in(engine):
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        conn.execute(text("INSERT INTO t VALUES ('rolled back')"))
        raise RuntimeError("the command failed")
    started = threading.Event()
    second = _second_writer(engine, started)
    second.start()
    second.join(10)
    assert not second.is_alive()
    with write_transaction(engine) as conn:
        assert [r.who for r in conn.execute(text("SELECT who FROM t"))] == ["second"]


def test_a_keyed_request_holds_the_writers_lock_from_its_first_write_until_it_finishes(engine):
    started = threading.Event()
    shared = begin_shared(engine)
    try:
        with write_transaction(engine) as conn:  # the shared transaction begins here
            conn.execute(text("INSERT INTO t VALUES ('keyed')"))
        second = _second_writer(engine, started)
        second.start()
        started.wait(5)
        second.join(0.3)
        # the answer is not stored yet: the next writer waits, without a connection
        assert second.is_alive() and engine.pool.checkedout() == 1
    finally:
        shared.finish(commit=True)
    second.join(10)
    assert not second.is_alive()
    with write_transaction(engine) as conn:
        assert [r.who for r in conn.execute(text("SELECT who FROM t"))] == ["keyed", "second"]
