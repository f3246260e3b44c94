"""The worker's health port: unhealthy while its NATS is down, healthy again when it returns."""

import asyncio
import json
import urllib.error
import urllib.request

import nats
from ledger_domain import make_ledgers
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Column, String, Table

from shared import eventstore
from shared.config import Settings
from shared.db import make_engine
from shared.nats_server import NatsProcess
from shared.ports import free_port
from shared.projections import Projections
from shared.service import ServiceSpec
from shared.testing.waiting import eventually
from shared.worker import run_worker


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def health(port: int) -> tuple[int, dict]:
    status, body = get(f"http://127.0.0.1:{port}/healthz")
    return status, json.loads(body) if body else {}


def metric_samples(port: int) -> dict:
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def audit_spec(handler) -> ServiceSpec:
    projections = Projections()
    Table("seen", projections.metadata, Column("event_id", String(40)))
    return ServiceSpec(
        name="audit", projections=projections, subscriptions={"ledger": {"LedgerOpened": handler}}
    )


def test_health_goes_unhealthy_while_nats_is_down_and_healthy_when_it_returns(
    tmp_path, nats_namespace
):
    server = NatsProcess(store_dir=str(tmp_path / "nats")).start()
    port = free_port()
    settings = Settings(
        service="audit",
        database_url=f"sqlite:///{tmp_path}/audit.db",
        nats_url=server.url,
        nats_namespace=nats_namespace,
        worker_health_port=port,
    )
    spec = audit_spec(lambda conn, envelope: None)

    async def scenario():
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(spec, settings, stop))
        try:
            assert await eventually(lambda: health(port)[0] == 200), health(port)
            up = (await asyncio.to_thread(health, port))[1]
            server.stop()
            assert await eventually(lambda: health(port)[0] == 503), health(port)
            down = (await asyncio.to_thread(health, port))[1]
            server.start()
            assert await eventually(lambda: health(port)[0] == 200), health(port)
            return up, down, await asyncio.to_thread(metric_samples, port)
        finally:
            stop.set()
            await worker

    try:
        up, down, samples = asyncio.run(scenario())
    finally:
        server.stop()
    assert up["status"] == "ok"
    assert up["checks"]["relay"] == {"ok": True, "lag": 0, "limit": 10_000, "lagging": False}
    assert up["checks"]["consumers"]["consumers"] == {
        "audit-from-ledger": {"running": True, "subscribed": True}
    }
    assert down["status"] == "unhealthy"
    assert down["checks"]["nats"] == {"ok": False}
    assert down["checks"]["database"]["ok"] is True
    assert samples[("warden_worker_nats_connected", ())] == 1
    consumer = (("consumer", "audit-from-ledger"),)
    assert samples[("warden_consumer_running", consumer)] == 1
    assert samples[("warden_consumer_pending_messages", consumer)] == 0


def test_metrics_count_what_the_consumers_handled_and_the_relay_published(
    tmp_path, nats_url, nats_namespace
):
    """Both services' counters reach /metrics: the ledger relays, the audit consumes."""
    ports = {"ledger": free_port(), "audit": free_port()}

    def settings_for(name):
        return Settings(
            service=name,
            database_url=f"sqlite:///{tmp_path}/{name}.db",
            nats_url=nats_url,
            nats_namespace=nats_namespace,
            worker_health_port=ports[name],
        )

    source = make_engine(settings_for("ledger").database_url)
    eventstore.create_schema(source)
    handled = []
    spec = audit_spec(lambda conn, envelope: handled.append(envelope))

    def counted(name, port, key):
        return metric_samples(port).get((name, key), 0)

    async def scenario():
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(
                run_worker(ServiceSpec(name="ledger"), settings_for("ledger"), stop)
            ),
            asyncio.create_task(run_worker(spec, settings_for("audit"), stop)),
        ]
        consumer = (("consumer", "audit-from-ledger"),)
        acked = (("consumer", "audit-from-ledger"), ("outcome", "ack"))
        try:
            assert await eventually(lambda: health(ports["audit"])[0] == 200)
            before = await asyncio.to_thread(
                counted, "warden_consumer_messages_total", ports["audit"], acked
            )
            await asyncio.to_thread(make_ledgers, source, 3)
            assert await eventually(
                lambda: counted("warden_relay_published_events_total", ports["ledger"], ()) == 6
            )
            assert await eventually(
                lambda: (
                    counted("warden_consumer_messages_total", ports["audit"], acked) >= before + 3
                )
            )
            assert await eventually(
                lambda: counted("warden_consumer_pending_messages", ports["audit"], consumer) == 0
            )
        finally:
            stop.set()
            await asyncio.gather(*workers)
            nc = await nats.connect(nats_url)
            for name in ("ledger", "audit"):
                await nc.jetstream().delete_stream(settings_for(name).stream_name())
            await nc.close()

    asyncio.run(scenario())
    assert len(handled) == 3
