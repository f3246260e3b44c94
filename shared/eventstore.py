"""The append-only event log on SQLite and PostgreSQL: Core for the schema, raw DBAPI when hot."""

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, MetaData, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import codec
from shared.db import is_sqlite, read_transaction, write_transaction
from shared.envelope import (
    GENESIS_HASH,
    Context,
    NewEvent,
    StoredEvent,
    as_utc,
    chain_hash,
    chain_link,
    iso,
    stored_event,
)
from shared.ids import new_id
from shared.schema import log_head
from shared.schema import metadata as store_metadata

NOTIFY_CHANNEL = "warden_events"
_SCHEMA_LOCK_KEY = 7_220_001


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
        for meta in (store_metadata, *extra):
            meta.create_all(conn)
            for table in meta.sorted_tables:  # an index added later reaches existing tables
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
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

# The hot path speaks plain SQL through the DBAPI cursor of the SQLAlchemy connection (same
# transaction, no statement compilation). Reads ask PostgreSQL for JSON as text so orjson,
# not the driver's json module, decodes it.
_COLUMNS = (
    "position, stream_id, version, type, schema_version, data, metadata, event_id, "
    "recorded_at, hash"
)
_PG_READ = _COLUMNS.replace("data, metadata", "data::text, metadata::text")
# New rows travel as one JSON document, which the server unpacks into typed columns.
_PG_ROWS = (
    "json_to_recordset(%s::json) AS e(position bigint, stream_id varchar, version int, "
    "type varchar, schema_version int, data json, metadata json, event_id varchar, "
    "recorded_at timestamptz, hash varchar)"
)
_SQL = {
    "sqlite": {
        "claim": "UPDATE log_head SET position = position + ? WHERE id = 1 "
        "RETURNING position, hash",
        "claim_if": "UPDATE log_head SET position = ?, hash = ? "
        "WHERE id = 1 AND position = ? AND hash = ?",
        "insert": f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "seal": "UPDATE log_head SET hash = ? WHERE id = 1",
        "stream": f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? ORDER BY version",
        "after": f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?",
        "head": "SELECT position FROM log_head WHERE id = 1",
        "lock": "SELECT position FROM log_head WHERE id = 1",
    },
    "postgresql": {
        "claim": "UPDATE log_head SET position = position + %s WHERE id = 1 "
        "RETURNING position, hash",
        # One statement moves the head from the (position, hash) this process last wrote and
        # inserts the events; if another writer moved the head first it changes nothing.
        "claim_if": "WITH head AS (UPDATE log_head SET position = %s, hash = %s "
        "WHERE id = 1 AND position = %s AND hash = %s RETURNING 1) "
        f"INSERT INTO events ({_COLUMNS}) SELECT e.* FROM head, {_PG_ROWS}",
        "insert": "WITH head AS (UPDATE log_head SET hash = %s WHERE id = 1) "
        f"INSERT INTO events ({_COLUMNS}) SELECT * FROM {_PG_ROWS}",
        "stream": f"SELECT {_PG_READ} FROM events WHERE stream_id = %s ORDER BY version",
        "after": f"SELECT {_PG_READ} FROM events WHERE position > %s ORDER BY position LIMIT %s",
        "head": "SELECT position FROM log_head WHERE id = 1",
        "lock": "SELECT position FROM log_head WHERE id = 1 FOR UPDATE",
    },
}

# The last (position, hash) each engine appended: only a guess at the head, which the database
# checks under the row lock, so a stale guess (another process wrote, a rollback) costs one
# statement that changes nothing and the append takes the head the ordinary way.
_last_head: "weakref.WeakKeyDictionary[Engine, tuple[int, str]]" = weakref.WeakKeyDictionary()


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
    cursor, sql = _cursor(conn)
    drafts = _Drafts(stream_id, expected_version, new_events, context.metadata(aggregate))
    postgres = conn.dialect.name == "postgresql"
    try:
        guess = _last_head.get(conn.engine)
        if guess is not None:
            stored = drafts.chain(guess)
            if _claim_if(cursor, sql, postgres, guess, stored, drafts, conn):
                _last_head[conn.engine] = (stored[-1].position, stored[-1].hash)
                return stored
        last, previous = _execute(conn, cursor, sql["claim"], (len(drafts.tails),)).fetchone()
        stored = drafts.chain((last - len(drafts.tails), previous))
        _insert(cursor, sql, postgres, stored, drafts, conn)
    except IntegrityError as exc:
        raise ConcurrencyError(f"stream {stream_id} is past version {expected_version}") from exc
    _last_head[conn.engine] = (stored[-1].position, stored[-1].hash)
    return stored


class _Drafts:
    """One append's events written out once: JSON, ids and timestamp, all but the chain.

    An event's hash is SHA-256 of the predecessor's hash and the JSON array chain_hash
    encodes; everything in that array but the position is known before the head is, so
    each event keeps the array's text after the position, and `chain` only prepends it.
    """

    def __init__(self, stream_id, expected_version, new_events, meta: dict) -> None:
        dumps = codec.dumps
        self.stream_id, self.meta, self.recorded_at = stream_id, meta, datetime.now(UTC)
        self.stamp, self.events = iso(self.recorded_at), new_events
        self.meta_json, self.stream_json = dumps(meta), dumps(stream_id)
        self.data_json = [dumps(e.data) for e in new_events]
        self.types = [(dumps(e.type), dumps(e.schema_version)) for e in new_events]
        self.ids = [new_id() for _ in new_events]
        self.versions = range(expected_version + 1, expected_version + 1 + len(new_events))
        # Event ids are Crockford base32 and the stamp digits, so neither needs escaping.
        head, meta_json, stamp = f",{self.stream_json},", self.meta_json, self.stamp
        self.tails = [
            f'{head}{v},{t},{sv},{d},{meta_json},"{i}","{stamp}"]'
            for v, (t, sv), d, i in zip(
                self.versions, self.types, self.data_json, self.ids, strict=True
            )
        ]

    def chain(self, head: tuple[int, str]) -> list[StoredEvent]:
        position, previous = head
        stream_id, meta, recorded_at = self.stream_id, self.meta, self.recorded_at
        stored = []
        for tail, version, e, event_id in zip(
            self.tails, self.versions, self.events, self.ids, strict=True
        ):
            position += 1
            previous = chain_link(previous, f"[{position}{tail}")
            stored.append(
                stored_event(
                    position,
                    stream_id,
                    version,
                    e.type,
                    e.schema_version,
                    e.data,
                    meta,
                    event_id,
                    recorded_at,
                    previous,
                )
            )
        return stored


def _claim_if(cursor, sql, postgres: bool, guess, stored, drafts: _Drafts, conn) -> bool:
    """Move the head from `guess` and insert `stored` if the head is still there."""
    head = (stored[-1].position, stored[-1].hash, *guess)
    if postgres:
        rows = _pg_rows(stored, drafts)
        return _execute(conn, cursor, sql["claim_if"], (*head, rows)).rowcount > 0
    if _execute(conn, cursor, sql["claim_if"], head).rowcount == 0:
        return False
    _execute(conn, cursor, sql["insert"], _sqlite_rows(stored, drafts), many=True)
    return True


def _insert(cursor, sql, postgres: bool, stored, drafts: _Drafts, conn) -> None:
    if postgres:
        _execute(conn, cursor, sql["insert"], (stored[-1].hash, _pg_rows(stored, drafts)))
        return
    _execute(conn, cursor, sql["insert"], _sqlite_rows(stored, drafts), many=True)
    _execute(conn, cursor, sql["seal"], (stored[-1].hash,))


def _pg_rows(stored: list[StoredEvent], drafts: _Drafts) -> str:
    """The rows as one JSON array for json_to_recordset, payloads spliced in as encoded."""
    stamp, meta_json, stream_json = drafts.stamp, drafts.meta_json, drafts.stream_json
    rows = ",".join(
        f'{{"position":{e.position},"stream_id":{stream_json},"version":{e.version},'
        f'"type":{t},"schema_version":{sv},"data":{data},"metadata":{meta_json},'
        f'"event_id":"{e.event_id}","recorded_at":"{stamp}","hash":"{e.hash}"}}'
        for e, (t, sv), data in zip(stored, drafts.types, drafts.data_json, strict=True)
    )
    return f"[{rows}]"


def _sqlite_rows(stored: list[StoredEvent], drafts: _Drafts) -> list[tuple]:
    # The text layout SQLAlchemy's SQLite DateTime writes and parses (UTC, no offset); one
    # append shares one timestamp.
    recorded_at, meta_json = drafts.stamp[:-1].replace("T", " "), drafts.meta_json
    return [
        (
            e.position,
            e.stream_id,
            e.version,
            e.type,
            e.schema_version,
            data,
            meta_json,
            e.event_id,
            recorded_at,
            e.hash,
        )
        for e, data in zip(stored, drafts.data_json, strict=True)
    ]


def _cursor(conn: Connection):
    """The DBAPI cursor inside the connection's transaction (begun as SQLAlchemy would)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.dbapi_connection.cursor(), _SQL[conn.dialect.name]


def _execute(conn: Connection, cursor, statement: str, params, many: bool = False):
    """Run on the raw cursor, raising SQLAlchemy's exception types as Core would."""
    try:
        if many:
            cursor.executemany(statement, params)
        else:
            cursor.execute(statement, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, params, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    return cursor


def _rows(conn: Connection, name: str, params) -> list[StoredEvent]:
    cursor, sql = _cursor(conn)
    rows = _execute(conn, cursor, sql[name], params).fetchall()
    loads, make = codec.loads, stored_event
    if conn.dialect.name == "sqlite":
        # Stored as UTC without an offset; naming the offset is far cheaper than replace().
        parse = datetime.fromisoformat
        return [
            make(p, s, v, t, sv, loads(d), loads(m), i, parse(r + "+00:00"), h)
            for p, s, v, t, sv, d, m, i, r, h in rows
        ]
    utc = as_utc
    return [
        make(p, s, v, t, sv, loads(d), loads(m), i, utc(r), h)
        for p, s, v, t, sv, d, m, i, r, h in rows
    ]


def read_stream(conn: Connection, stream_id: str) -> list[StoredEvent]:
    """One aggregate's events in version order."""
    return _rows(conn, "stream", (stream_id,))


def read_after(conn: Connection, position: int, limit: int = 1000) -> list[StoredEvent]:
    """The next batch of the whole log after `position`, in position order."""
    return _rows(conn, "after", (position, limit))


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
    """Hold the append lock until the transaction ends (SQLite's BEGIN IMMEDIATE already does)."""
    cursor, sql = _cursor(conn)
    return _execute(conn, cursor, sql["lock"], ()).fetchone()[0]


def head_position(conn: Connection) -> int:
    cursor, sql = _cursor(conn)
    return _execute(conn, cursor, sql["head"], ()).fetchone()[0]


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
