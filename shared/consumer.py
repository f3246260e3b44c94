"""Durable pull consumers: each message is handled in one transaction with its inbox row.

Outcomes: ack (done, duplicate, or not ours), nak with backoff (transient), or a dead
letter plus term (malformed, unknown schema version, or a handler that keeps failing).
"""

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import Counter
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared import eventstore
from shared.db import read_transaction, write_transaction
from shared.envelope import Envelope
from shared.ids import new_id
from shared.schema import dead_letters, inbox

log = logging.getLogger(__name__)

# The worker process serves these on its health port (shared/worker_health.py, GET /metrics).
MESSAGES = Counter("warden_consumer_messages", "Messages handled", ["consumer", "outcome"])
DEAD_LETTERS = Counter("warden_consumer_dead_letters", "Messages dead-lettered", ["consumer"])
REDELIVERIES = Counter(
    "warden_consumer_redeliveries", "Messages delivered more than once", ["consumer"]
)


@dataclass
class ConsumerState:
    """What the worker's health endpoint reports of one consumer loop."""

    subscribed: bool = False
    last_fetch_monotonic: float | None = None


@dataclass(frozen=True)
class Handler:
    """What to do with one event type; it gets the open transaction and the envelope."""

    fn: Callable[[Connection, Envelope], None]
    schema_versions: frozenset[int] = frozenset({1})


class RetryLater(Exception):
    """A fact this event depends on has not arrived yet: another stream is behind this one.

    Streams are ordered within themselves only, so a WithdrawalHeld can reach notify before
    the CustomerRegistered it needs. The message is retried with backoff for a longer budget
    than a failing handler gets (`wait_attempts`), then parked like any poison message.
    """


class Verdict(enum.Enum):
    ACK = "ack"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    delay: float = 0.0
    error: str = ""


class _Duplicate(Exception):
    pass


@dataclass
class MessageProcessor:
    """The transport-free core of a consumer: bytes in, one verdict out."""

    engine: Engine
    name: str
    handlers: dict[str, Handler]
    max_attempts: int = 5
    wait_attempts: int = 20
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    counts: dict[str, int] = field(default_factory=dict)

    def process(self, subject: str, payload: bytes, attempt: int) -> Result:
        result = self._decide(subject, payload, attempt)
        self._count(result.verdict)
        return result

    def wants(self, subject: str) -> bool:
        """Whether the subject's last token (the relay's event type) has a handler here.

        Most of another service's events are not ours: the loop acknowledges those unread,
        without a thread hop or a parse (a malformed body on such a subject is not ours either).
        """
        return subject.rpartition(".")[2] in self.handlers

    def skip(self) -> Result:
        """Count a message `wants` said no to, as `process` would have."""
        self._count(Verdict.IGNORED)
        return Result(Verdict.IGNORED)

    def _count(self, verdict: "Verdict") -> None:
        MESSAGES.labels(self.name, verdict.value).inc()
        self.counts[verdict.value] = self.counts.get(verdict.value, 0) + 1

    def _decide(self, subject: str, payload: bytes, attempt: int) -> Result:
        try:
            envelope = Envelope.parse(payload)
        except ValueError as exc:
            return self._dead(subject, None, payload, str(exc), attempt)
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return Result(Verdict.IGNORED)
        if envelope.schema_version not in handler.schema_versions:
            reason = f"unknown schema_version {envelope.schema_version} for {envelope.type}"
            return self._dead(subject, envelope.event_id, payload, reason, attempt)
        try:
            self._handle(subject, envelope, handler)
            return Result(Verdict.ACK)
        except _Duplicate:
            return Result(Verdict.DUPLICATE)
        except (OperationalError, eventstore.ConcurrencyError) as exc:
            # The database or a race, not the message: retry for as long as it takes.
            return Result(Verdict.RETRY, self._backoff(attempt), str(exc))
        except RetryLater as exc:
            if attempt >= self.wait_attempts:
                reason = f"waited {attempt} deliveries for: {exc}"
                return self._dead(subject, envelope.event_id, payload, reason, attempt)
            return Result(Verdict.RETRY, self._backoff(attempt), str(exc))
        except Exception as exc:
            log.exception("handler %s failed on %s (attempt %s)", self.name, envelope.type, attempt)
            if attempt >= self.max_attempts:
                return self._dead(subject, envelope.event_id, payload, repr(exc), attempt)
            return Result(Verdict.RETRY, self._backoff(attempt), repr(exc))

    def _handle(self, subject: str, envelope: Envelope, handler: Handler, extra=None) -> None:
        with write_transaction(self.engine) as conn:
            try:
                conn.execute(
                    insert(inbox).values(
                        consumer=self.name,
                        event_id=envelope.event_id,
                        subject=subject,
                        processed_at=datetime.now(UTC),
                    )
                )
            except IntegrityError as exc:
                raise _Duplicate() from exc
            handler.fn(conn, envelope)
            if extra is not None:
                extra(conn)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_base * 2 ** max(attempt - 1, 0), self.backoff_max)

    def _dead(self, subject, event_id, payload, error, attempt) -> Result:
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    insert(dead_letters).values(
                        id=new_id(),
                        consumer=self.name,
                        subject=subject,
                        event_id=event_id,
                        payload=payload,
                        error=error[:4000],
                        attempts=attempt,
                        created_at=datetime.now(UTC),
                    )
                )
        except DBAPIError as exc:  # cannot park it now: keep it in the stream and retry
            return Result(Verdict.RETRY, self._backoff(attempt), str(exc))
        DEAD_LETTERS.labels(self.name).inc()
        log.error("dead-lettered a message on %s for %s: %s", subject, self.name, error)
        return Result(Verdict.DEAD, error=error)

    def retry_dead_letters(self) -> dict[str, int]:
        """Run parked messages again; each success resolves its row in the same transaction."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(dead_letters).where(
                    dead_letters.c.consumer == self.name, dead_letters.c.resolved_at.is_(None)
                )
            ).all()
        outcome = {"resolved": 0, "failed": 0}
        for row in rows:
            outcome["resolved" if self._retry(row) else "failed"] += 1
        return outcome

    def _retry(self, row) -> bool:
        def resolve(conn, resolution="retried"):
            conn.execute(
                update(dead_letters)
                .where(dead_letters.c.id == row.id)
                .values(resolved_at=datetime.now(UTC), resolution=resolution)
            )

        try:
            envelope = Envelope.parse(row.payload)
            handler = self.handlers.get(envelope.type)
            if handler is None or envelope.schema_version not in handler.schema_versions:
                raise ValueError(f"still no handler for {envelope.type} v{envelope.schema_version}")
            self._handle(row.subject, envelope, handler, extra=resolve)
            return True
        except _Duplicate:
            with write_transaction(self.engine) as conn:
                resolve(conn, "already_processed")
            return True
        except Exception as exc:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    update(dead_letters)
                    .where(dead_letters.c.id == row.id)
                    .values(attempts=row.attempts + 1, error=repr(exc)[:4000])
                )
            return False


async def consume(
    js,
    processor: MessageProcessor,
    subject: str,
    stream: str,
    stop: asyncio.Event,
    ack_wait: float = 30.0,
    state: ConsumerState | None = None,
) -> None:
    """Fetch, process in a thread (the DB is synchronous), then ack / nak / term."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    config = ConsumerConfig(
        durable_name=processor.name,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait,
        max_deliver=-1,
        filter_subject=subject,
    )
    state = state or ConsumerState()
    while not stop.is_set():
        try:
            sub = await js.pull_subscribe(
                subject, durable=processor.name, stream=stream, config=config
            )
            state.subscribed = True
            try:
                await _drain_into(sub, processor, stop, state)
            finally:
                await _unsubscribe(sub)
        except Exception:
            state.subscribed = False
            log.exception("consumer %s lost its subscription; resubscribing", processor.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def _unsubscribe(sub) -> None:
    """Drop the pull subscription's inbox when the loop ends (stop, or a lost subscription).

    Left subscribed, the status a pull request sends when it expires after the last fetch
    (408) stays unread in the inbox's queue, so the worker's `nc.drain()` waits on that
    queue until it is cancelled and nats-py logs `_GatheringFuture exception was never
    retrieved`; each stop took the whole drain timeout and logged an error.
    """
    with contextlib.suppress(Exception):
        await sub.unsubscribe()


async def _drain_into(
    sub, processor: MessageProcessor, stop: asyncio.Event, state: ConsumerState
) -> None:
    from nats.js.errors import FetchTimeoutError

    while not stop.is_set():
        try:
            messages = await sub.fetch(batch=50, timeout=1)
        except (TimeoutError, FetchTimeoutError):
            state.last_fetch_monotonic = time.monotonic()  # an empty fetch is a live one
            continue
        state.last_fetch_monotonic = time.monotonic()
        for msg in messages:
            if processor.wants(msg.subject):
                if msg.metadata.num_delivered > 1:
                    REDELIVERIES.labels(processor.name).inc()
                result = await asyncio.to_thread(
                    processor.process, msg.subject, msg.data, msg.metadata.num_delivered
                )
            else:
                result = processor.skip()
            if result.verdict is Verdict.RETRY:
                await msg.nak(delay=result.delay)
            elif result.verdict is Verdict.DEAD:
                await msg.term()
            else:
                await msg.ack()
