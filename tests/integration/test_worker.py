"""The worker: one active relay among several workers, consumers wired from the service spec."""

import asyncio
from datetime import UTC, datetime

import nats
from ledger_domain import make_ledgers
from sqlalchemy import Column, String, Table, select

from shared import eventstore, messaging
from shared.config import Settings
from shared.db import make_engine, read_transaction
from shared.envelope import Actor, Context
from shared.projections import Projections
from shared.relay import Relay
from shared.service import ServiceSpec, Timer
from shared.testing.waiting import eventually
from shared.worker import run_worker

CTX = Context(Actor("system", "test"), datetime(2026, 1, 1, tzinfo=UTC), "corr")


def test_several_relays_on_one_log_publish_each_event_once(database_url, nats_url, nats_namespace):
    """On PostgreSQL this also exercises the LISTEN/NOTIFY wake-up instead of polling."""
    engine = make_engine(database_url)
    eventstore.create_schema(engine)
    settings = Settings(
        service="ledger",
        database_url=database_url,
        nats_url=nats_url,
        nats_namespace=nats_namespace,
    )

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        stream = await messaging.ensure_stream(js, nats_namespace, "ledger")
        stop = asyncio.Event()
        relays = [Relay(engine, js, settings, f"worker-{i}") for i in range(3)]
        tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
        try:
            await asyncio.to_thread(make_ledgers, engine, 25)
            published = await eventually(lambda: sum(r.published for r in relays) >= 50)
            await asyncio.sleep(0.5)  # let any second relay show itself, if one were active
            info = await js.stream_info(stream)
            return published, [r.published for r in relays], info.state.messages
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await js.delete_stream(stream)
            await nc.close()

    published, per_relay, messages = asyncio.run(scenario())
    assert published
    assert sorted(per_relay) == [0, 0, 50]
    assert messages == 50
    engine.dispose()


def test_worker_relays_own_events_consumes_others_and_runs_timers(
    sqlite_url, tmp_path, nats_url, nats_namespace
):
    """A ledger service publishes; an 'audit' service consumes into its projection."""
    source_url = sqlite_url
    audit_url = f"sqlite:///{tmp_path}/audit.db"
    audit_projections = Projections()
    seen = Table(
        "seen",
        audit_projections.metadata,
        Column("event_id", String(40)),
        Column("type", String(60)),
    )
    ticks: list[datetime] = []

    def record(conn, envelope):
        conn.execute(seen.insert().values(event_id=envelope.event_id, type=envelope.type))

    audit = ServiceSpec(
        name="audit",
        projections=audit_projections,
        subscriptions={"ledger": {"LedgerOpened": record, "AmountDeposited": record}},
        timers=(Timer("tick", 0.05, lambda engine, settings, now: ticks.append(now)),),
    )
    ledger = ServiceSpec(name="ledger")

    def settings_for(name, url):
        return Settings(
            service=name, database_url=url, nats_url=nats_url, nats_namespace=nats_namespace
        )

    source = make_engine(source_url)
    eventstore.create_schema(source)
    audit_engine = make_engine(audit_url)
    eventstore.create_schema(audit_engine, audit_projections.metadata)

    def audited():
        with read_transaction(audit_engine) as conn:
            return len(conn.execute(select(seen)).all())

    async def scenario():
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(run_worker(ledger, settings_for("ledger", source_url), stop)),
            asyncio.create_task(run_worker(audit, settings_for("audit", audit_url), stop)),
        ]
        try:
            await asyncio.to_thread(make_ledgers, source, 5)
            return await eventually(lambda: audited() >= 10)
        finally:
            stop.set()
            await asyncio.gather(*workers)
            nc = await nats.connect(nats_url)
            for service in ("ledger", "audit"):
                await nc.jetstream().delete_stream(settings_for(service, "").stream_name())
            await nc.close()

    assert asyncio.run(scenario())
    with read_transaction(source) as conn:
        expected = sorted(e.event_id for e in eventstore.read_after(conn, 0))
    with read_transaction(audit_engine) as conn:
        assert sorted(r.event_id for r in conn.execute(select(seen))) == expected
    assert ticks, "the timer never ran"
