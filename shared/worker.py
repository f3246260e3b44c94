"""A service's asyncio worker: relay its own log, consume other services' events, run timers."""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine

from shared import eventstore, messaging
from shared.config import Settings, SettingsError, load_settings
from shared.consumer import ConsumerState, Handler, MessageProcessor, consume
from shared.db import make_engine
from shared.relay import Relay
from shared.retention import retention_timer
from shared.rules_file import RulesFileError
from shared.service import ServiceSpec, Timer
from shared.worker_health import ConsumerEntry, WorkerHealth, serve

log = logging.getLogger(__name__)


def consumer_name(service: str, source: str, partition: str = "") -> str:
    """The durable's name on the source's stream; each partition has its own (docs/scaling.md)."""
    return f"{service}-{partition}-from-{source}" if partition else f"{service}-from-{source}"


def processors(
    spec: ServiceSpec, settings: Settings, engine: Engine
) -> dict[str, MessageProcessor]:
    """One processor per source service, keyed by source; the CLI uses them for dead letters."""
    return {
        source: MessageProcessor(
            engine=engine,
            name=consumer_name(spec.name, source, settings.partition),
            handlers={t: h if isinstance(h, Handler) else Handler(h) for t, h in handlers.items()},
            max_attempts=settings.consumer_max_attempts,
            wait_attempts=settings.consumer_wait_attempts,
        )
        for source, handlers in spec.subscriptions.items()
    }


async def run_worker(
    spec: ServiceSpec,
    settings: Settings,
    stop: asyncio.Event | None = None,
    health: WorkerHealth | None = None,
):
    """Run until `stop` is set (SIGTERM/SIGINT set it when run from main).

    `health` (tests pass one to look inside) is what the health port reports; the port is
    served only when `worker_health_port` is set.
    """
    stop = stop or asyncio.Event()
    engine = make_engine(settings.database_url)
    eventstore.create_schema(engine, spec.projections.metadata)
    health = health or WorkerHealth(spec.name, engine, settings.relay_lag_ready_limit)
    health.engine = engine
    server = None
    if settings.worker_health_port:
        server = await serve(health, settings.worker_health_bind, settings.worker_health_port)
    holder = f"{socket.gethostname()}:{os.getpid()}:{id(stop)}"
    nc = await messaging.connect(settings.nats_url, f"{spec.name}-worker")
    js = nc.jetstream()
    health.nc, health.js = nc, js
    ns, replicas = settings.nats_namespace, settings.stream_replicas
    await messaging.ensure_stream(js, ns, spec.name, replicas, settings.partition)
    health.relay = Relay(engine, js, settings, holder)
    health.relay_task = asyncio.create_task(health.relay.run(stop), name="relay")
    tasks = [health.relay_task]
    for source, processor in processors(spec, settings, engine).items():
        partitions = settings.partitions_of(source)
        stream = await messaging.ensure_source_stream(js, ns, source, partitions, replicas)
        subject = f"{ns}{source}.>"
        state = ConsumerState()
        task = asyncio.create_task(
            consume(
                js, processor, subject, stream, stop, settings.consumer_ack_wait_seconds, state
            ),
            name=processor.name,
        )
        health.consumers.append(ConsumerEntry(processor.name, stream, task, state))
        tasks.append(task)
    for timer in (*spec.timers, retention_timer(settings)):  # the service's, and pruning
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
        if server is not None:
            server.close()
        # The consumers have unsubscribed (shared/consumer.py `_unsubscribe`), so the drain
        # flushes the relay's last publishes and returns at once. It can still wait forever
        # while NATS is unreachable: a bounded wait, then close.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.drain(), 5)
        with contextlib.suppress(Exception):
            await nc.close()
        engine.dispose()
        log.info("worker %s stopped", spec.name)


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


def start(name: str, make_spec) -> None:
    """`python -m services.<name>.worker`: settings, the service (its rules file checked), run.

    A setting, or a rules or policy file, it cannot run with is an operator's error, not a
    crash: one line naming the variable or file and the problem, and exit status 2, as
    `warden` itself answers.
    """
    try:
        settings = load_settings(name)
        spec = make_spec(settings)
    except (SettingsError, RulesFileError) as exc:
        print(f"warden: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    main(spec, settings)


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
