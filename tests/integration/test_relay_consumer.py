"""The relay and consumers against a real JetStream: nothing lost, nothing twice, poison parked."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import nats
import pytest
from ledger_domain import make_ledgers
from sqlalchemy import Column, MetaData, String, Table, func, select

from shared import codec, eventstore, lease, messaging
from shared.config import Settings
from shared.consumer import Handler, MessageProcessor, consume
from shared.db import make_engine, read_transaction
from shared.envelope import Actor, Context
from shared.nats_server import NatsProcess
from shared.relay import CHECKPOINT, LEASE, Relay
from shared.schema import checkpoints, dead_letters
from shared.testing.waiting import eventually

CTX = Context(Actor("system", "test"), datetime(2026, 1, 1, tzinfo=UTC), "corr")


class Downstream:
    """A consuming service's database with one effects table, written by the handler."""

    def __init__(self, url: str, name: str = "down-from-ledger"):
        self.meta = MetaData()
        self.seen = Table(
            "seen", self.meta, Column("event_id", String(40)), Column("type", String(60))
        )
        self.engine = make_engine(url)
        eventstore.create_schema(self.engine, self.meta)
        self.fail_types: set[str] = set()

        def record(conn, envelope):
            if envelope.type in self.fail_types:
                raise RuntimeError("handler bug")
            conn.execute(self.seen.insert().values(event_id=envelope.event_id, type=envelope.type))

        handler = Handler(record)
        self.processor = MessageProcessor(
            self.engine,
            name,
            {"LedgerOpened": handler, "AmountDeposited": handler},
            max_attempts=2,
            backoff_base=0.05,
        )

    def effects(self) -> list[str]:
        with read_transaction(self.engine) as conn:
            return [row.event_id for row in conn.execute(select(self.seen))]

    def dead_letters(self) -> list:
        with read_transaction(self.engine) as conn:
            return conn.execute(select(dead_letters)).all()


@pytest.fixture
def source(sqlite_url):
    engine = make_engine(sqlite_url)
    eventstore.create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def downstream(postgres_url):
    down = Downstream(postgres_url)
    yield down
    down.engine.dispose()


def settings_for(nats_url, namespace) -> Settings:
    return Settings(
        service="ledger",
        database_url="unused",
        nats_url=nats_url,
        nats_namespace=namespace,
        relay_batch_size=20,
    )


async def consume_all(js, down, ns, predicate, timeout=30.0):
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume(
            js, down.processor, f"{ns}ledger.>", messaging.stream_config(ns, "ledger").name, stop
        )
    )
    try:
        return await eventually(predicate, timeout)
    finally:
        stop.set()
        await task


async def cleanup(js, ns):
    await js.delete_stream(messaging.stream_config(ns, "ledger").name)


def test_relay_publishes_in_order_with_msg_id_then_moves_checkpoint(
    source, nats_url, nats_namespace
):
    make_ledgers(source, 3)
    settings = settings_for(nats_url, nats_namespace)

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            assert lease.try_acquire(source, LEASE, "me", 30)
            relay = Relay(source, js, settings, "me")
            assert await relay.pump_once() == 6
            assert await relay.pump_once() == 0
            sub = await js.pull_subscribe(
                f"{nats_namespace}ledger.>", durable="probe", stream=settings.stream_name()
            )
            msgs = await sub.fetch(6, timeout=5)
            return [(m.subject, m.headers["Nats-Msg-Id"], codec.loads(m.data)) for m in msgs]
        finally:
            await cleanup(js, nats_namespace)
            await nc.close()

    received = asyncio.run(scenario())
    with read_transaction(source) as conn:
        log = eventstore.read_after(conn, 0)
        assert (
            conn.execute(
                select(checkpoints.c.position).where(checkpoints.c.name == CHECKPOINT)
            ).scalar()
            == 6
        )
    assert [r[0] for r in received] == [f"{nats_namespace}ledger.ledger.{e.type}" for e in log]
    assert [r[1] for r in received] == [e.event_id for e in log]
    assert [r[2] for r in received] == [e.envelope() for e in log]


def test_a_busy_relay_records_its_checkpoint_when_due_not_every_round(
    source, nats_url, nats_namespace
):
    make_ledgers(source, 5)  # 10 events: five rounds of two
    settings = replace(
        settings_for(nats_url, nats_namespace), relay_batch_size=2, relay_checkpoint_seconds=1
    )
    saved = []

    class CountingRelay(Relay):
        def _save_checkpoint(self, position):
            saved.append(position)
            super()._save_checkpoint(position)

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        stop = asyncio.Event()
        relay = CountingRelay(source, js, settings, "me")
        task = asyncio.create_task(relay.run(stop))
        try:
            return await eventually(lambda: saved[-1:] == [10], 30)
        finally:
            stop.set()
            await task
            await cleanup(js, nats_namespace)
            await nc.close()

    assert asyncio.run(scenario())
    # Due at the first round, then not for a second: the five rounds took less, so the rest
    # is recorded once, when it fell due while the relay was idle.
    assert saved == [2, 10]
    with read_transaction(source) as conn:
        where = checkpoints.c.name == CHECKPOINT
        assert conn.execute(select(checkpoints.c.position).where(where)).scalar() == 10


def test_relay_killed_between_publish_and_checkpoint_gives_effects_once(
    source, downstream, nats_url, nats_namespace
):
    make_ledgers(source, 5)
    settings = settings_for(nats_url, nats_namespace)

    class CrashingRelay(Relay):
        def _save_checkpoint(self, position):
            raise SystemExit("killed after publish, before checkpoint")

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            assert lease.try_acquire(source, LEASE, "first", 30)
            with pytest.raises(SystemExit):
                await CrashingRelay(source, js, settings, "first").pump_once()
            lease.release(source, LEASE, "first")  # the dead process's lease runs out
            assert lease.try_acquire(source, LEASE, "second", 30)
            assert await Relay(source, js, settings, "second").pump_once() == 10
            info = await js.stream_info(settings.stream_name())
            ok = await consume_all(
                js, downstream, nats_namespace, lambda: len(downstream.effects()) >= 10
            )
            return info.state.messages, ok
        finally:
            await cleanup(js, nats_namespace)
            await nc.close()

    stored_messages, ok = asyncio.run(scenario())
    assert ok
    assert stored_messages == 10  # the re-published batch was dropped as duplicates
    with read_transaction(source) as conn:
        assert sorted(downstream.effects()) == sorted(
            e.event_id for e in eventstore.read_after(conn, 0)
        )


def test_duplicate_delivery_produces_one_effect(source, downstream, nats_url, nats_namespace):
    make_ledgers(source, 1, deposits=0)
    with read_transaction(source) as conn:
        (event,) = eventstore.read_after(conn, 0)

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            subject = f"{nats_namespace}ledger.ledger.{event.type}"
            for copy in ("a", "b"):  # different msg ids: JetStream cannot dedup, the inbox must
                await js.publish(
                    subject, codec.dumpb(event.envelope()), headers={"Nats-Msg-Id": copy}
                )
            return await consume_all(
                js,
                downstream,
                nats_namespace,
                lambda: downstream.processor.counts.get("duplicate", 0) >= 1,
            )
        finally:
            await cleanup(js, nats_namespace)
            await nc.close()

    assert asyncio.run(scenario())
    assert downstream.effects() == [event.event_id]
    assert downstream.processor.counts == {"ack": 1, "duplicate": 1}


def test_a_type_without_a_handler_is_acknowledged_unread_and_counted_as_ignored(
    source, downstream, nats_url, nats_namespace
):
    """The subject names the type: another service's events that are not ours are not parsed,
    so even a body that would be poison for a handled type is simply not ours."""
    make_ledgers(source, 1)
    with read_transaction(source) as conn:
        opened, _ = eventstore.read_after(conn, 0)
    subject = f"{nats_namespace}ledger.ledger"

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            await js.publish(f"{subject}.LedgerAudited", b"{not json")
            await js.publish(f"{subject}.LedgerOpened", codec.dumpb(opened.envelope()))
            return await consume_all(
                js, downstream, nats_namespace, lambda: len(downstream.effects()) == 1
            )
        finally:
            await cleanup(js, nats_namespace)
            await nc.close()

    assert asyncio.run(scenario())
    assert downstream.effects() == [opened.event_id]
    assert downstream.dead_letters() == []
    assert downstream.processor.counts == {"ignored": 1, "ack": 1}


def test_poison_messages_are_parked_and_the_consumer_keeps_going(
    source, downstream, nats_url, nats_namespace
):
    make_ledgers(source, 2)
    with read_transaction(source) as conn:
        opened, deposited, good, _ = eventstore.read_after(conn, 0)
    future_version = {**opened.envelope(), "schema_version": 99, "event_id": "future"}
    downstream.fail_types = {"AmountDeposited"}
    subject = f"{nats_namespace}ledger.ledger"

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            await js.publish(f"{subject}.LedgerOpened", b"{not json")
            await js.publish(f"{subject}.LedgerOpened", codec.dumpb(future_version))
            await js.publish(f"{subject}.AmountDeposited", codec.dumpb(deposited.envelope()))
            await js.publish(f"{subject}.LedgerOpened", codec.dumpb(good.envelope()))
            return await consume_all(
                js,
                downstream,
                nats_namespace,
                lambda: len(downstream.dead_letters()) == 3 and len(downstream.effects()) == 1,
            )
        finally:
            await cleanup(js, nats_namespace)
            await nc.close()

    assert asyncio.run(scenario())
    assert downstream.effects() == [good.event_id]
    parked = [row.error for row in downstream.dead_letters()]
    assert any("malformed" in e for e in parked) and any("schema_version" in e for e in parked)
    assert downstream.processor.counts["dead"] == 3

    downstream.fail_types = set()  # the handler is fixed: retrying resolves the deposit
    assert downstream.processor.retry_dead_letters() == {"resolved": 1, "failed": 2}
    assert sorted(downstream.effects()) == sorted([good.event_id, deposited.event_id])
    with read_transaction(downstream.engine) as conn:
        unresolved = conn.execute(
            select(func.count())
            .select_from(dead_letters)
            .where(dead_letters.c.resolved_at.is_(None))
        ).scalar()
    assert unresolved == 2


def test_nats_restart_mid_stream_loses_nothing(source, downstream, nats_namespace, tmp_path):
    server = NatsProcess(store_dir=str(tmp_path / "nats")).start()
    make_ledgers(source, 40, deposits=2)
    settings = settings_for(server.url, nats_namespace)

    async def scenario():
        nc = await messaging.connect(server.url, "test")
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "ledger")
        stop = asyncio.Event()
        relay = asyncio.create_task(Relay(source, js, settings, "me", publish_timeout=2).run(stop))
        consumer = asyncio.create_task(
            consume(
                js, downstream.processor, f"{nats_namespace}ledger.>", settings.stream_name(), stop
            )
        )
        try:
            await eventually(lambda: len(downstream.effects()) >= 30)
            server.stop()
            await asyncio.to_thread(make_ledgers, source, 20, 2, "M")  # written while NATS is down
            await asyncio.sleep(1)
            server.start()
            return await eventually(lambda: len(downstream.effects()) >= 180, timeout=60)
        finally:
            stop.set()
            await asyncio.gather(relay, consumer)
            await nc.close()

    try:
        assert asyncio.run(scenario())
    finally:
        server.stop()
    with read_transaction(source) as conn:
        expected = [e.event_id for e in eventstore.read_after(conn, 0, 1000)]
    assert len(expected) == 180
    assert sorted(downstream.effects()) == sorted(expected)
