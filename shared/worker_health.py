"""The worker's own HTTP port for the orchestrator: GET /healthz (doing its job?) and /metrics.

/healthz answers 200 when NATS is connected, the database answers, and the relay and every
consumer loop are running (a consumer also holds its subscription); 503 otherwise, naming the
failing check. Relay lag is reported, with `lagging` above WARDEN_RELAY_LAG_READY_LIMIT, but
does not fail the probe: a restart would not drain it faster. /metrics is the worker's
counters (consumer outcomes, dead letters, redeliveries, published events) and JetStream's
view of each durable consumer, read when Prometheus scrapes.
"""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Engine

from shared.consumer import ConsumerState
from shared.db import read_transaction
from shared.relay import Relay, relay_lag

log = logging.getLogger(__name__)

JETSTREAM_TIMEOUT_SECONDS = 1.0
CONTENT_TYPE_METRICS = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class ConsumerEntry:
    name: str
    stream: str
    task: asyncio.Task
    state: ConsumerState
    info: object = None  # the last JetStream ConsumerInfo, refreshed per scrape


@dataclass
class WorkerHealth:
    """What run_worker started, so the probe can look at it; filled in as the worker starts."""

    service: str
    engine: Engine
    lag_limit: int
    nc: object = None
    js: object = None
    relay: Relay | None = None
    relay_task: asyncio.Task | None = None
    consumers: list[ConsumerEntry] = field(default_factory=list)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self):
        self.registry.register(_WorkerCollector(self))

    async def report(self) -> dict:
        checks = {
            "nats": {"ok": bool(self.nc and self.nc.is_connected)},
            "database": {"ok": True},
            "relay": {"ok": _running(self.relay_task)},
        }
        try:
            lag = await asyncio.to_thread(self._lag)
            checks["relay"].update(lag=lag, limit=self.lag_limit, lagging=lag > self.lag_limit)
        except Exception as exc:
            checks["database"] = {"ok": False, "error": exc.__class__.__name__}
        consumers = {
            entry.name: {"running": _running(entry.task), "subscribed": entry.state.subscribed}
            for entry in self.consumers
        }
        ok_consumers = all(c["running"] and c["subscribed"] for c in consumers.values())
        checks["consumers"] = {"ok": ok_consumers, "consumers": consumers}
        healthy = all(check["ok"] for check in checks.values())
        return {"status": "ok" if healthy else "unhealthy", "checks": checks}

    def _lag(self) -> int:
        with read_transaction(self.engine) as conn:
            return relay_lag(conn)

    async def refresh_consumer_info(self) -> None:
        """Ask JetStream for each durable consumer's pending and redelivered counts."""
        for entry in self.consumers:
            entry.info = None
            if not (self.js and self.nc.is_connected):
                continue
            with contextlib.suppress(Exception):
                entry.info = await self.js.consumer_info(
                    entry.stream, entry.name, timeout=JETSTREAM_TIMEOUT_SECONDS
                )

    async def metrics(self) -> bytes:
        await self.refresh_consumer_info()
        return generate_latest(REGISTRY) + generate_latest(self.registry)


def _running(task: asyncio.Task | None) -> bool:
    return task is not None and not task.done()


class _WorkerCollector:
    def __init__(self, health: WorkerHealth):
        self.health = health

    def collect(self):
        health = self.health
        yield GaugeMetricFamily(
            "warden_worker_nats_connected",
            "1 while the worker's NATS connection is up",
            int(bool(health.nc and health.nc.is_connected)),
        )
        published = CounterMetricFamily(
            "warden_relay_published_events", "Events this worker's relay published"
        )
        published.add_metric([], health.relay.published if health.relay else 0)
        yield published
        running = GaugeMetricFamily(
            "warden_consumer_running",
            "1 while a consumer loop holds its subscription",
            labels=["consumer"],
        )
        pending = GaugeMetricFamily(
            "warden_consumer_pending_messages",
            "Messages in the stream the durable consumer has not yet been delivered",
            labels=["consumer"],
        )
        ack_pending = GaugeMetricFamily(
            "warden_consumer_ack_pending_messages",
            "Messages delivered and not yet acknowledged",
            labels=["consumer"],
        )
        redelivered = GaugeMetricFamily(
            "warden_consumer_redelivered_messages",
            "Unacknowledged messages that were delivered more than once",
            labels=["consumer"],
        )
        for entry in health.consumers:
            running.add_metric([entry.name], int(_running(entry.task) and entry.state.subscribed))
            if entry.info is not None:
                pending.add_metric([entry.name], entry.info.num_pending or 0)
                ack_pending.add_metric([entry.name], entry.info.num_ack_pending or 0)
                redelivered.add_metric([entry.name], entry.info.num_redelivered or 0)
        yield from (running, pending, ack_pending, redelivered)


async def serve(health: WorkerHealth, host: str, port: int) -> asyncio.Server:
    """A bound server (start-up fails loudly on a taken port); one request per connection."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here needs them
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            status, content_type, body = await _route(health, method, path)
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        except Exception:
            log.exception("worker health request failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    return await asyncio.start_server(answer, host, port)


async def _route(health: WorkerHealth, method: str, path: str) -> tuple[str, str, bytes]:
    if method not in ("GET", "HEAD"):
        return "405 Method Not Allowed", "text/plain", b"GET only\n"
    if path in ("/healthz", "/readyz"):
        report = await health.report()
        status = "200 OK" if report["status"] == "ok" else "503 Service Unavailable"
        body = json.dumps(report, sort_keys=True, separators=(",", ":"))
        return status, "application/json", body.encode()
    if path == "/metrics":
        return "200 OK", CONTENT_TYPE_METRICS, await health.metrics()
    return "404 Not Found", "text/plain", b"/healthz or /metrics\n"
