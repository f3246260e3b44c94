"""Run a command: decide on what was read, then append and project in a short write transaction."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from shared import eventstore
from shared.aggregate import Aggregate
from shared.db import read_transaction, write_transaction
from shared.envelope import Context, NewEvent, StoredEvent
from shared.projections import Projections


@dataclass(frozen=True)
class Outcome:
    state: Any
    events: list[StoredEvent]
    version: int


Decide = Callable[[Any], Sequence[NewEvent]]


def execute_in(
    conn: Connection,
    aggregate: Aggregate,
    stream_id: str,
    decide: Decide,
    context: Context,
    projections: Projections | None = None,
) -> Outcome:
    """Decide and append inside the caller's transaction (a consumer's, say); no retry here."""
    decided = decide_on(conn, aggregate, stream_id, decide)
    return append_decided(conn, aggregate, stream_id, decided, context, projections)


Plan = TypeVar("Plan")
Result = TypeVar("Result")


def read_then_write(
    engine: Engine,
    read: Callable[[Connection], Plan],
    write: Callable[[Connection, Plan], Result],
    on_transaction: Callable[[Connection], None] | None = None,
    attempts: int = 3,
) -> Result:
    """Decide on a read snapshot, then record the decision in a short write transaction.

    `read` does the reads and the deciding, outside the write lock (on SQLite, the one writer
    at a time), so commands do not wait for each other's reads. `write` appends what was decided
    and checks that nothing it relied on moved: the append names the stream version that was
    read, and a decision that read more than its stream advances a guard (shared/guards.py).
    If something moved, ConcurrencyError sends the command round again. The last attempt reads
    and writes under the append lock, where nobody can get there first, so a busy stream still
    makes progress. `on_transaction` (the web layer's Idempotency-Key claim) joins the write.
    """
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            if last:
                with write_transaction(engine) as conn:
                    if on_transaction is not None:
                        on_transaction(conn)
                    eventstore.lock_log(conn)
                    return write(conn, read(conn))
            with read_transaction(engine) as conn:
                plan = read(conn)
            with write_transaction(engine) as conn:
                if on_transaction is not None:
                    on_transaction(conn)
                return write(conn, plan)
        except eventstore.ConcurrencyError:
            if last:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Decided:
    """A stream as it was read, and what was decided on it."""

    state: Any
    version: int
    new_events: list[NewEvent]


def decide_on(conn: Connection, aggregate: Aggregate, stream_id: str, decide: Decide) -> Decided:
    history = eventstore.read_stream(conn, stream_id)
    state = aggregate.fold(history)
    return Decided(state, len(history), list(decide(state)))


def append_decided(
    conn: Connection,
    aggregate: Aggregate,
    stream_id: str,
    decided: Decided,
    context: Context,
    projections: Projections | None = None,
) -> Outcome:
    """Append what was decided after the version that was read, and project it."""
    stored = eventstore.append(
        conn, stream_id, decided.version, decided.new_events, context, aggregate.name
    )
    if projections is not None:
        projections.apply(conn, stored)
    state = decided.state
    for event in stored:
        state = aggregate.evolve(state, event)
    return Outcome(state=state, events=stored, version=decided.version + len(stored))


def execute(
    engine: Engine,
    aggregate: Aggregate,
    stream_id: str,
    decide: Decide,
    context: Context,
    projections: Projections | None = None,
    attempts: int = 3,
    on_transaction: Callable[[Connection], None] | None = None,
) -> Outcome:
    """Run a command on one stream: read, fold and decide, then append (read_then_write)."""
    return read_then_write(
        engine,
        lambda conn: decide_on(conn, aggregate, stream_id, decide),
        lambda conn, decided: append_decided(
            conn, aggregate, stream_id, decided, context, projections
        ),
        on_transaction,
        attempts,
    )
