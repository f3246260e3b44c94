"""Warden's event store against `eventsourcing`: appends and full replay, SQLite and PostgreSQL.

Run from the repository root: `python bench/eventstore.py [--events N] [--rounds R]`.
Every (round, backend, side) gets a fresh store: a new SQLite file, or a new PostgreSQL
database that is dropped afterwards. Rounds alternate which side goes first and the
reported rate is the median over rounds. The last line printed is a JSON object of
Warden/eventsourcing ratios, for machines to read.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import StoredEvent as EsStoredEvent  # noqa: E402
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore  # noqa: E402
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore  # noqa: E402

from shared import codec, eventstore  # noqa: E402
from shared.db import make_engine, read_transaction, write_transaction  # noqa: E402
from shared.envelope import Actor, Context, NewEvent  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
EVENT_TYPE = "WithdrawalRequested"
CONTEXT = Context(Actor("system", "bench"), datetime(2026, 1, 1, tzinfo=UTC), "corr-bench")
BATCH = 1000  # rows per replay query, both sides
REPLAYS = 3  # replay passes per round; the median is kept
METRICS = ("append1", "append10", "replay")
SIDES = ("warden", "eventsourcing")


def payload(k: int) -> dict:
    """A realistic small event body; both sides store exactly these JSON bytes."""
    return {
        "account_id": f"acc-{k % 977:06d}",
        "amount_minor": 10_000 + k,
        "currency": "EUR",
        "channel": "branch",
        "note": "withdrawal requested at the counter",
    }


def workload(events: int, per_txn: int) -> list[tuple[uuid.UUID, int, list[dict]]]:
    """(stream, expected_version, bodies) per transaction.

    One-event transactions go round-robin over events/10 streams (ten versions each);
    ten-event transactions each write a new stream's first ten versions.
    """
    txns = []
    if per_txn == 1:
        streams = [uuid.uuid4() for _ in range(max(1, events // 10))]
        for k in range(events):
            txns.append((streams[k % len(streams)], k // len(streams), [payload(k)]))
    else:
        for t in range(events // per_txn):
            bodies = [payload(t * per_txn + i) for i in range(per_txn)]
            txns.append((uuid.uuid4(), 0, bodies))
    return txns


class WardenSide:
    """Warden's store through its public API: write_transaction + append, read_after."""

    name = "warden"

    def __init__(self, url: str, synchronous: str | None = None):
        self.engine = make_engine(url)
        if synchronous:  # runs after Warden's own connect hook, so it has the last word
            event.listen(self.engine, "connect", _pragma_synchronous(synchronous))
        eventstore.create_schema(self.engine)

    def append(self, stream: uuid.UUID, expected: int, bodies: list[dict]) -> None:
        with write_transaction(self.engine) as conn:
            eventstore.append(
                conn,
                str(stream),
                expected,
                [NewEvent(EVENT_TYPE, b) for b in bodies],
                CONTEXT,
                "withdrawal",
            )

    def replay(self) -> int:
        count, position = 0, 0
        while True:
            with read_transaction(self.engine) as conn:
                chunk = eventstore.read_after(conn, position, BATCH)
            if not chunk:
                return count
            count += sum(1 for e in chunk if e.data)
            position = chunk[-1].position

    def settings(self) -> str:
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                return f"journal_mode={journal} synchronous={_SYNC.get(sync, sync)}"
            return _pg_settings(conn.exec_driver_sql)

    def close(self) -> None:
        self.engine.dispose()


class EventsourcingSide:
    """eventsourcing's application recorder with StoredEvent objects (no mapper, no aggregates)."""

    name = "eventsourcing"

    def __init__(self, datastore, recorder_class):
        self.datastore = datastore
        self.recorder = recorder_class(datastore)
        self.recorder.create_table()

    def append(self, stream: uuid.UUID, expected: int, bodies: list[dict]) -> None:
        self.recorder.insert_events(
            [
                EsStoredEvent(stream, expected + i + 1, f"bench:{EVENT_TYPE}", codec.dumpb(b))
                for i, b in enumerate(bodies)
            ]
        )

    def replay(self) -> int:
        count, start = 0, None
        while True:
            chunk = self.recorder.select_notifications(start, BATCH, inclusive_of_start=False)
            if not chunk:
                return count
            count += sum(1 for n in chunk if orjson.loads(n.state))
            start = chunk[-1].id

    def settings(self) -> str:
        if isinstance(self.datastore, SQLiteDatastore):
            with self.datastore.transaction(commit=False) as curs:
                curs.execute("PRAGMA journal_mode")
                journal = curs.fetchone()[0]
                curs.execute("PRAGMA synchronous")
                sync = curs.fetchone()[0]
            return f"journal_mode={journal} synchronous={_SYNC.get(sync, sync)}"
        with self.datastore.get_connection() as conn:
            return _pg_settings(lambda sql: _Scalar(conn.execute(sql).fetchone()))

    def close(self) -> None:
        self.datastore.close()


_SYNC = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _pragma_synchronous(level: str):
    def on_connect(dbapi_connection, _record=None):
        dbapi_connection.execute(f"PRAGMA synchronous={level}")

    return on_connect


def _es_sqlite(path: Path, synchronous: str) -> SQLiteDatastore:
    """eventsourcing's SQLite datastore, its connections set to the same synchronous level."""
    datastore = SQLiteDatastore(str(path))
    pool, create = datastore.pool, datastore.pool._create_connection
    set_level = _pragma_synchronous(synchronous)

    def create_connection():
        connection = create()
        set_level(connection._sqlite_conn)
        return connection

    pool._create_connection = create_connection
    return datastore


class _Scalar:
    def __init__(self, row):
        self.row = row

    def scalar(self):
        return next(iter(self.row.values())) if isinstance(self.row, dict) else self.row[0]


def _pg_settings(execute) -> str:
    names = ("synchronous_commit", "fsync", "transaction_isolation")
    return " ".join(f"{n}={execute(f'SHOW {n}').scalar()}" for n in names)


@contextmanager
def sqlite_store(directory: Path, side: str, synchronous: str) -> Iterator[object]:
    path = directory / f"{side}-{uuid.uuid4().hex[:8]}.db"
    if side == "warden":
        store = WardenSide(f"sqlite:///{path}", synchronous)
    else:
        store = EventsourcingSide(_es_sqlite(path, synchronous), SQLiteApplicationRecorder)
    try:
        yield store
    finally:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgres_store(admin_url: str, side: str) -> Iterator[object]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    url = make_url(admin_url).set(drivername="postgresql", database=name)
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        if side == "warden":
            store = WardenSide(url.render_as_string(hide_password=False))
        else:
            datastore = PostgresDatastore(
                dbname=name,
                host=url.host or "127.0.0.1",
                port=url.port or 5432,
                user=url.username or "postgres",
                password=url.password or "",
            )
            store = EventsourcingSide(datastore, PostgresApplicationRecorder)
        try:
            yield store
        finally:
            store.close()
    finally:
        with psycopg.connect(_conninfo(admin_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def measure(store, events: int) -> dict[str, float]:
    """Events per second for each metric on one fresh store."""
    rates = {}
    for metric, per_txn in (("append1", 1), ("append10", 10)):
        txns = workload(events, per_txn)
        started = time.perf_counter()
        for stream, expected, bodies in txns:
            store.append(stream, expected, bodies)
        rates[metric] = sum(len(b) for _, _, b in txns) / (time.perf_counter() - started)
    total = events + (events // 10) * 10
    times = []
    for _ in range(REPLAYS):
        started = time.perf_counter()
        seen = store.replay()
        times.append(time.perf_counter() - started)
        if seen != total:
            raise AssertionError(f"{store.name} replayed {seen} events, expected {total}")
    rates["replay"] = total / statistics.median(times)
    return rates


def run(args) -> tuple[dict, dict]:
    sqlite_dir = Path(args.sqlite_dir or tempfile.mkdtemp(prefix="warden-bench-"))
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    backends = {
        "sqlite": lambda side: sqlite_store(sqlite_dir, side, args.sqlite_synchronous),
        "postgres": lambda side: postgres_store(args.postgres_url, side),
    }
    samples = {
        b: {s: {m: [] for m in METRICS} for s in ("warden", "eventsourcing")} for b in backends
    }
    settings: dict = {}
    try:
        for round_no in range(args.rounds):
            order = SIDES if round_no % 2 == 0 else SIDES[::-1]
            for backend, open_store in backends.items():
                for side in order:
                    with open_store(side) as store:
                        settings.setdefault((backend, side), store.settings())
                        for metric, rate in measure(store, args.events).items():
                            samples[backend][side][metric].append(rate)
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        if not args.sqlite_dir:
            shutil.rmtree(sqlite_dir, ignore_errors=True)
    medians = {
        b: {s: {m: statistics.median(v) for m, v in per.items()} for s, per in sides.items()}
        for b, sides in samples.items()
    }
    return medians, settings


def report(medians: dict, settings: dict, args) -> dict:
    print(
        f"Warden event store vs eventsourcing {_es_version()} — {args.events} events per "
        f"append test, {args.rounds} rounds (medians), replay batch {BATCH}"
    )
    for (backend, side), text in settings.items():
        print(f"  {backend:<8} {side:<13} {text}")
    header = (
        f"{'backend':<9} {'test':<9} {'warden ev/s':>12} {'eventsourcing ev/s':>19} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios: dict = {}
    for backend, sides in medians.items():
        for metric in METRICS:
            warden, es = sides["warden"][metric], sides["eventsourcing"][metric]
            ratios.setdefault(backend, {})[f"{metric}_ratio"] = round(warden / es, 2)
            print(f"{backend:<9} {metric:<9} {warden:>12,.0f} {es:>19,.0f} {warden / es:>7.2f}")
    return ratios


def _es_version() -> str:
    from importlib.metadata import version

    return version("eventsourcing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per append test")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("WARDEN_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="an admin URL; each run creates and drops its own database",
    )
    parser.add_argument("--sqlite-dir", help="where SQLite files go (default: a temp dir)")
    parser.add_argument(
        "--sqlite-synchronous",
        default="NORMAL",
        choices=("NORMAL", "FULL"),
        help="PRAGMA synchronous for both sides (NORMAL is what Warden ships; "
        "FULL is eventsourcing's default)",
    )
    args = parser.parse_args()
    medians, settings = run(args)
    ratios = report(medians, settings, args)
    print(orjson.dumps(ratios).decode())


if __name__ == "__main__":
    main()
