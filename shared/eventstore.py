"""The append-only event log, written once in SQLAlchemy Core for SQLite and PostgreSQL."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, MetaData, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from shared.db import is_sqlite, read_transaction, write_transaction
from shared.envelope import GENESIS_HASH, Context, NewEvent, StoredEvent, as_utc, chain_hash
from shared.ids import new_id
from shared.schema import events, log_head
from shared.schema import metadata as store_metadata

NOTIFY_CHANNEL = "warden_events"
_SCHEMA_LOCK_KEY = 7_220_001

_COLUMNS = (
    events.c.position,
    events.c.stream_id,
    events.c.version,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.event_id,
    events.c.recorded_at,
    events.c.hash,
)


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; reload and decide again."""


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    problem: str | None = None
    position: int | None = None


def create_schema(engine: Engine, *extra: MetaData) -> None:
    """Create the store's tables (and any projection tables), safely from many processes."""
    with write_transaction(engine) as conn:
        if not is_sqlite(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
        store_metadata.create_all(conn)
        for meta in extra:
            meta.create_all(conn)
        if conn.execute(select(log_head.c.id)).first() is None:
            conn.execute(insert(log_head).values(id=1, position=0, hash=GENESIS_HASH))
            if not is_sqlite(engine):
                conn.execute(text(_PG_NOTIFY_TRIGGER))


# A statement-level trigger wakes the relay (LISTEN warden_events) when an append commits,
# without another round trip from the writer.
_PG_NOTIFY_TRIGGER = f"""
CREATE OR REPLACE FUNCTION warden_notify_append() RETURNS trigger AS $$
BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS warden_log_head_notify ON log_head;
CREATE TRIGGER warden_log_head_notify AFTER UPDATE ON log_head
  FOR EACH STATEMENT EXECUTE FUNCTION warden_notify_append();
"""


def append(
    conn: Connection,
    stream_id: str,
    expected_version: int,
    new_events: Sequence[NewEvent],
    context: Context,
    aggregate: str,
) -> list[StoredEvent]:
    """Append events after `expected_version`; raise ConcurrencyError if the stream moved.

    Call inside a write transaction: the log_head row stays locked until it commits, so
    positions are handed out and committed strictly in order.
    """
    if not new_events:
        return []
    count = len(new_events)
    last, previous = conn.execute(
        update(log_head)
        .where(log_head.c.id == 1)
        .values(position=log_head.c.position + count)
        .returning(log_head.c.position, log_head.c.hash)
    ).one()
    recorded_at = datetime.now(UTC)
    meta = context.metadata(aggregate)
    stored = []
    for offset, event in enumerate(new_events):
        draft = StoredEvent(
            position=last - count + offset + 1,
            stream_id=stream_id,
            version=expected_version + offset + 1,
            type=event.type,
            schema_version=event.schema_version,
            data=event.data,
            metadata=meta,
            event_id=new_id(),
            recorded_at=recorded_at,
            hash="",
        )
        previous = chain_hash(previous, draft)
        stored.append(_with_hash(draft, previous))
    try:
        conn.execute(insert(events), [_row(e) for e in stored])
    except IntegrityError as exc:
        raise ConcurrencyError(
            f"stream {stream_id} is past version {expected_version}"
        ) from exc
    conn.execute(update(log_head).where(log_head.c.id == 1).values(hash=previous))
    return stored


def _with_hash(event: StoredEvent, digest: str) -> StoredEvent:
    return StoredEvent(**{**{s: getattr(event, s) for s in StoredEvent.__slots__}, "hash": digest})


def _row(event: StoredEvent) -> dict:
    return {s: getattr(event, s) for s in StoredEvent.__slots__}


def _event(row) -> StoredEvent:
    return StoredEvent(
        position=row[0],
        stream_id=row[1],
        version=row[2],
        type=row[3],
        schema_version=row[4],
        data=row[5],
        metadata=row[6],
        event_id=row[7],
        recorded_at=as_utc(row[8]),
        hash=row[9],
    )


def read_stream(conn: Connection, stream_id: str) -> list[StoredEvent]:
    """One aggregate's events in version order."""
    rows = conn.execute(
        select(*_COLUMNS).where(events.c.stream_id == stream_id).order_by(events.c.version)
    )
    return [_event(row) for row in rows]


def read_after(conn: Connection, position: int, limit: int = 1000) -> list[StoredEvent]:
    """The next batch of the whole log after `position`, in position order."""
    rows = conn.execute(
        select(*_COLUMNS)
        .where(events.c.position > position)
        .order_by(events.c.position)
        .limit(limit)
    )
    return [_event(row) for row in rows]


def read_all(engine: Engine, batch: int = 1000) -> Iterator[StoredEvent]:
    """Every event in position order, batch by batch, each batch its own short read."""
    position = 0
    while True:
        with read_transaction(engine) as conn:
            chunk = read_after(conn, position, batch)
        if not chunk:
            return
        yield from chunk
        position = chunk[-1].position


def lock_log(conn: Connection) -> int:
    """Hold the append lock for the rest of the transaction (SQLite's BEGIN IMMEDIATE already does)."""
    return conn.execute(
        select(log_head.c.position).where(log_head.c.id == 1).with_for_update()
    ).scalar_one()


def head_position(conn: Connection) -> int:
    return conn.execute(select(log_head.c.position).where(log_head.c.id == 1)).scalar_one()


def verify(engine: Engine) -> VerifyReport:
    """Recompute the hash chain and check positions are gapless and versions contiguous."""
    previous, expected_position, checked = GENESIS_HASH, 1, 0
    versions: dict[str, int] = {}
    for event in read_all(engine):
        if event.position != expected_position:
            return VerifyReport(False, checked, "position gap", expected_position)
        if event.version != versions.get(event.stream_id, 0) + 1:
            return VerifyReport(False, checked, "version out of order", event.position)
        previous = chain_hash(previous, event)
        if previous != event.hash:
            return VerifyReport(False, checked, "hash mismatch", event.position)
        versions[event.stream_id] = event.version
        expected_position += 1
        checked += 1
    with read_transaction(engine) as conn:
        head = conn.execute(select(log_head.c.position, log_head.c.hash)).one()
    if (head.position, head.hash) != (checked, previous):
        return VerifyReport(False, checked, "log head does not match the last event", head.position)
    return VerifyReport(True, checked)
