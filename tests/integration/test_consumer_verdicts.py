"""What the message processor decides for each kind of trouble, without a broker in the way."""

import pytest
from sqlalchemy import select

from shared import codec, eventstore
from shared.consumer import Handler, MessageProcessor, RetryLater, Verdict
from shared.db import make_engine, read_transaction
from shared.schema import dead_letters, inbox

ENVELOPE = codec.dumpb(
    {"event_id": "e-1", "type": "WithdrawalHeld", "schema_version": 1, "stream_id": "w-1",
     "version": 1, "position": 1, "data": {"customer_id": "c-1"}}
)  # fmt: skip


@pytest.fixture
def engine(sqlite_url):
    engine = make_engine(sqlite_url)
    eventstore.create_schema(engine)
    yield engine
    engine.dispose()


def processor(engine, fn, **limits) -> MessageProcessor:
    return MessageProcessor(engine, "test", {"WithdrawalHeld": Handler(fn)}, **limits)


def parked(engine) -> list:
    with read_transaction(engine) as conn:
        return conn.execute(select(dead_letters.c.error, dead_letters.c.attempts)).all()


def test_waiting_for_another_stream_retries_with_backoff_then_parks(engine):
    def not_yet(conn, envelope):
        raise RetryLater("customer c-1 unknown")

    waiting = processor(engine, not_yet, max_attempts=2, wait_attempts=4)
    results = [waiting.process("s", ENVELOPE, attempt) for attempt in (1, 2, 3)]
    assert [r.verdict for r in results] == [Verdict.RETRY] * 3  # beyond max_attempts: still waits
    assert [r.delay for r in results] == [0.5, 1.0, 2.0]
    assert parked(engine) == []
    assert waiting.process("s", ENVELOPE, 4).verdict is Verdict.DEAD
    ((error, attempts),) = parked(engine)
    assert "customer c-1 unknown" in error and attempts == 4


def test_a_wait_that_ends_is_handled_once_with_its_inbox_row(engine):
    ready = {"now": False}

    def when_ready(conn, envelope):
        if not ready["now"]:
            raise RetryLater("not yet")

    waiting = processor(engine, when_ready)
    assert waiting.process("s", ENVELOPE, 1).verdict is Verdict.RETRY
    ready["now"] = True
    assert waiting.process("s", ENVELOPE, 2).verdict is Verdict.ACK
    assert waiting.process("s", ENVELOPE, 3).verdict is Verdict.DUPLICATE
    with read_transaction(engine) as conn:
        assert len(conn.execute(select(inbox)).all()) == 1


def test_a_failing_handler_is_parked_after_max_attempts(engine):
    def broken(conn, envelope):
        raise KeyError("bug")

    failing = processor(engine, broken, max_attempts=2)
    assert failing.process("s", ENVELOPE, 1).verdict is Verdict.RETRY
    assert failing.process("s", ENVELOPE, 2).verdict is Verdict.DEAD
    assert len(parked(engine)) == 1
