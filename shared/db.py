"""Engines for SQLite (WAL, BEGIN IMMEDIATE for writes) and PostgreSQL (bounded lock waits)."""

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError

from shared import codec

PG_OPTIONS = "-c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000"
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and pick the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    common = {"json_serializer": codec.dumps, "json_deserializer": codec.loads}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        engine = create_engine(url, connect_args=connect_args, **common, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, connect_args={"options": PG_OPTIONS}, **common, **kwargs)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Pre-ping, but only connections that sat idle in the pool: a busy one was just used.

    `pool_pre_ping` costs a round trip on every checkout, a quarter of a short write
    transaction. A connection that fails its ping raises DisconnectionError, so the pool
    discards it and connects afresh, as pre-ping does.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection, record):
        record.info["warden_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["warden_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("warden_idle_since", 0.0)
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    """Take over transaction control from pysqlite so writers start with BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes can fail with SQLITE_BUSY without
    waiting; an immediate one queues on the write lock instead, which serialises appends.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "DEFERRED" if conn.get_execution_options().get("warden_readonly") else "IMMEDIATE"
        try:  # straight to the driver: this runs once per transaction
            conn.connection.dbapi_connection.execute(f"BEGIN {mode}")
        except sqlite3.Error as exc:
            raise DBAPIError.instance(f"BEGIN {mode}", (), exc, sqlite3.Error) from exc


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# SQLite has one writer at a time. Writers of one process queue on this lock, so the next one
# starts the moment the last commits; left to SQLite's busy handler, a waiting BEGIN IMMEDIATE
# sleeps and polls (1, 2, 5, 10 ... 100 ms), which under load adds tens of milliseconds to a
# write that waited for a 1 ms one. Other processes still meet at the database's own lock.
_sqlite_writers: "weakref.WeakKeyDictionary[Engine, threading.RLock]" = weakref.WeakKeyDictionary()
_writers_guard = threading.Lock()


def _writer_lock(engine: Engine) -> "threading.RLock | None":
    if not is_sqlite(engine):
        return None
    lock = _sqlite_writers.get(engine)
    if lock is None:
        with _writers_guard:
            lock = _sqlite_writers.setdefault(engine, threading.RLock())
    return lock


def _acquire(lock: "threading.RLock | None") -> None:
    """Wait as long as SQLite's busy timeout would, then fail as SQLite would."""
    if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
        busy = sqlite3.OperationalError("database is locked")
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), busy, sqlite3.Error)


class SharedTransaction:
    """One transaction that every write and read transaction on its engine joins until it ends.

    The web layer opens one around a request that carries an Idempotency-Key, so the effects,
    the reads the answer is made of and the stored answer commit together or not at all
    (shared/web/idempotency.py). It begins at the first write transaction; a read before that
    is a read of its own, like a command's reads before it decides (shared/application.py), so
    the write lock is not held while a command reads and decides.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._lock: threading.RLock | None = None
        self._token: Token | None = None

    @property
    def begun(self) -> bool:
        return self._conn is not None

    def connection(self) -> Connection:
        if self._conn is None:
            lock = _writer_lock(self.engine)
            _acquire(lock)
            try:
                conn = self.engine.connect()
                try:
                    conn.begin()
                except BaseException:
                    conn.close()
                    raise
            except BaseException:
                if lock is not None:
                    lock.release()
                raise
            self._conn, self._lock = conn, lock
        return self._conn

    def finish(self, commit: bool) -> None:
        """Commit (raising if that fails) or roll back, then leave; a second call does nothing."""
        conn, self._conn = self._conn, None
        lock, self._lock = self._lock, None
        try:
            if conn is not None:
                conn.commit() if commit else conn.rollback()
        finally:
            if conn is not None:
                conn.close()
            if lock is not None:
                lock.release()
            if self._token is not None:
                _shared.reset(self._token)
                self._token = None


_shared: ContextVar[SharedTransaction | None] = ContextVar("warden_shared", default=None)


def begin_shared(engine: Engine) -> SharedTransaction:
    """Join this context's transactions on `engine` into one until `finish` is called."""
    shared = SharedTransaction(engine)
    shared._token = _shared.set(shared)
    return shared


def _joined(engine: Engine) -> SharedTransaction | None:
    shared = _shared.get()
    return shared if shared is not None and shared.engine is engine else None


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: commits on success, rolls back on any exception.

    Inside a SharedTransaction it is a savepoint of that one instead.
    """
    shared = _joined(engine)
    if shared is not None:
        conn = shared.connection()
        with conn.begin_nested():
            yield conn
        return
    lock = _writer_lock(engine)
    _acquire(lock)
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    finally:
        if lock is not None:
            lock.release()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent read snapshot that never takes SQLite's write lock; or the shared one, once
    that has begun."""
    shared = _joined(engine)
    if shared is not None and shared.begun:
        yield shared.connection()
        return
    with engine.connect() as conn:
        conn.execution_options(warden_readonly=True)
        with conn.begin():
            yield conn
