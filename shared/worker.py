"""A service's asyncio worker: relay its own log, consume other services' events, run timers."""

import asyncio
import contextlib
import logging
import os
import signal
import socket
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine

from shared import eventstore, messaging
from shared.config import Settings, stream_name
from shared.consumer import Handler, MessageProcessor, consume
from shared.db import make_engine
from shared.relay import Relay
from shared.service import ServiceSpec, Timer

log = logging.getLogger(__name__)


def consumer_name(service: str, source: str) -> str:
    return f"{service}-from-{source}"


def processors(
    spec: ServiceSpec, settings: Settings, engine: Engine
) -> dict[str, MessageProcessor]:
    """One processor per source service, keyed by source; the CLI uses them for dead letters."""
    return {
        source: MessageProcessor(
            engine=engine,
            name=consumer_name(spec.name, source),
            handlers={t: h if isinstance(h, Handler) else Handler(h) for t, h in handlers.items()},
            max_attempts=settings.consumer_max_attempts,
            wait_attempts=settings.consumer_wait_attempts,
        )
        for source, handlers in spec.subscriptions.items()
    }


async def run_worker(spec: ServiceSpec, settings: Settings, stop: asyncio.Event | None = None):
    """Run until `stop` is set (SIGTERM/SIGINT set it when run from main)."""
    stop = stop or asyncio.Event()
    engine = make_engine(settings.database_url)
    eventstore.create_schema(engine, spec.projections.metadata)
    holder = f"{socket.gethostname()}:{os.getpid()}:{id(stop)}"
    nc = await messaging.connect(settings.nats_url, f"{spec.name}-worker")
    js = nc.jetstream()
    ns, replicas = settings.nats_namespace, settings.stream_replicas
    await messaging.ensure_stream(js, ns, spec.name, replicas)
    tasks = [asyncio.create_task(Relay(engine, js, settings, holder).run(stop), name="relay")]
    for source, processor in processors(spec, settings, engine).items():
        await messaging.ensure_stream(js, ns, source, replicas)
        subject = f"{ns}{source}.>"
        tasks.append(
            asyncio.create_task(
                consume(
                    js,
                    processor,
                    subject,
                    stream_name(ns, source),
                    stop,
                    settings.consumer_ack_wait_seconds,
                ),
                name=processor.name,
            )
        )
    for timer in spec.timers:
        tasks.append(asyncio.create_task(_tick(timer, engine, settings, stop), name=timer.name))
    log.info(
        "worker %s running: relay, %d consumers, %d timers",
        spec.name,
        len(spec.subscriptions),
        len(spec.timers),
    )
    try:
        await stop.wait()
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)
        # drain() can wait forever while NATS is unreachable; a bounded wait, then close.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.drain(), 5)
        with contextlib.suppress(Exception):
            await nc.close()
        engine.dispose()


async def _tick(timer: Timer, engine: Engine, settings: Settings, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(timer.run, engine, settings, datetime.now(UTC))
        except Exception:
            log.exception("timer %s failed; it runs again next tick", timer.name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timer.every_seconds)


def configure_logging(service: str) -> None:
    """One JSON line per log record, like the web processes, tagged with the service."""
    shared_processors = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        lambda _, __, event: {**event, "service": service, "process": "worker"},
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


def main(spec: ServiceSpec, settings: Settings) -> None:
    """Entry point for `python -m services.<name>.worker`: stop cleanly on SIGTERM or Ctrl-C."""
    configure_logging(spec.name)

    async def runner():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(spec, settings, stop)

    asyncio.run(runner())
