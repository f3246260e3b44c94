"""Run one command: load the stream, fold it, decide, append and project, in one transaction."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from shared import eventstore
from shared.aggregate import Aggregate
from shared.db import write_transaction
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
    history = eventstore.read_stream(conn, stream_id)
    state = aggregate.fold(history)
    stored = eventstore.append(
        conn, stream_id, len(history), list(decide(state)), context, aggregate.name
    )
    if projections is not None:
        projections.apply(conn, stored)
    for event in stored:
        state = aggregate.evolve(state, event)
    return Outcome(state=state, events=stored, version=len(history) + len(stored))


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
    """Run a command in its own transaction, retrying a bounded number of lost races.

    `on_transaction` lets the web layer record an idempotency claim atomically with the effects.
    """
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                if on_transaction is not None:
                    on_transaction(conn)
                return execute_in(conn, aggregate, stream_id, decide, context, projections)
        except eventstore.ConcurrencyError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
