"""The outbox relay: publish the service's log to JetStream in order, then move the checkpoint.

While it holds the lease the relay keeps its place in memory and records it in the database
at most every `relay_checkpoint_seconds` (and on stop), so a busy log costs one read and one
publish per round, not a write too. A crash re-publishes
what went out since the last record, at most that interval's events and a batch; JetStream
drops those as duplicates (Nats-Msg-Id = event_id) and consumers' inboxes catch any that slip by.
"""

import asyncio
import contextlib
import logging
import time

import psycopg
from sqlalchemy import Engine

from shared import checkpoints, codec, eventstore, lease
from shared.config import Settings
from shared.db import is_sqlite, read_transaction, write_transaction
from shared.envelope import StoredEvent

log = logging.getLogger(__name__)

CHECKPOINT = "relay"
LEASE = "relay"


class Relay:
    def __init__(
        self,
        engine: Engine,
        js,
        settings: Settings,
        holder: str,
        *,
        publish_timeout: float = 5.0,
        lease_ttl: float | None = None,
    ):
        self.engine = engine
        self.js = js
        self.settings = settings
        self.holder = holder
        self.publish_timeout = publish_timeout
        self.lease_ttl = lease_ttl or settings.relay_lease_seconds
        self.stream = settings.stream_name()
        self.published = 0
        self.checkpoint_every = settings.relay_checkpoint_seconds
        self._position: int | None = None  # published up to here; None: read the checkpoint
        self._saved: int | None = None  # the checkpoint as last read or written
        self._saved_at = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Publish while holding the lease; wake on NOTIFY (PostgreSQL) or short polls (SQLite)."""
        wake = asyncio.Event()
        listener = None
        if not is_sqlite(self.engine):
            listener = asyncio.create_task(_listen(self.engine, wake, stop))
        poll = self.settings.relay_poll_seconds if is_sqlite(self.engine) else 1.0
        held_until = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() > held_until - self.lease_ttl * 2 / 3:
                    # Renew a third of the way through the lease, not on every round.
                    if not await asyncio.to_thread(
                        lease.try_acquire, self.engine, LEASE, self.holder, self.lease_ttl
                    ):
                        held_until = 0.0
                        self._forget()  # another relay may move the checkpoint meanwhile
                        await _wait(stop, self.lease_ttl / 2)
                        continue
                    held_until = time.monotonic() + self.lease_ttl
                wait = poll
                try:
                    sent = await self.pump_once(save=self._checkpoint_due())
                    if sent == 0 and self._position != self._saved:
                        if self._checkpoint_due():
                            await self._save()
                        else:  # idle with a place unrecorded: record it when due
                            wait = min(poll, self._until_due())
                except Exception:
                    log.exception("relay round failed; retrying")
                    self._forget()
                    sent = 0
                    await _wait(stop, 1.0)
                if sent == 0:
                    wake.clear()
                    await _wait_any(stop, wake, wait)
            await self._flush(held_until)
        finally:
            if listener:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            await asyncio.to_thread(lease.release, self.engine, LEASE, self.holder)

    async def _flush(self, held_until: float) -> None:
        """On stop, publish what the last requests appended while the lease is still ours,
        for a bounded time; whatever is left goes out with the next relay to hold the lease."""
        deadline = min(time.monotonic() + self.publish_timeout, held_until)
        try:
            while time.monotonic() < deadline and await self.pump_once(save=False):
                pass
            if self._position != self._saved:
                await self._save()
        except Exception as exc:
            log.warning("relay stopped with events unpublished; the next one sends them: %s", exc)

    async def pump_once(self, save: bool = True) -> int:
        """Publish one batch after where it got to; return how many events were confirmed.

        `save`: record the new position as the checkpoint now (the loop defers it when busy).
        """
        batch = await asyncio.to_thread(self._next_batch)
        if not batch:
            return 0
        confirmed = await self._publish(batch)
        if confirmed:
            self._position = confirmed[-1].position
            self.published += len(confirmed)
            if save:
                await self._save()
        if len(confirmed) < len(batch):
            raise RuntimeError(f"{len(batch) - len(confirmed)} publishes were not acknowledged")
        return len(confirmed)

    def _next_batch(self) -> list[StoredEvent]:
        with read_transaction(self.engine) as conn:
            if self._position is None:
                self._position = self._saved = checkpoints.get(conn, CHECKPOINT)
            return eventstore.read_after(conn, self._position, self.settings.relay_batch_size)

    def _checkpoint_due(self) -> bool:
        return self._until_due() <= 0

    def _until_due(self) -> float:
        return self._saved_at + self.checkpoint_every - time.monotonic()

    def _forget(self) -> None:
        """Lost the lease or a round: read the checkpoint again before the next batch."""
        self._position = self._saved = None

    async def _save(self) -> None:
        position = self._position
        if position is None:
            return
        await asyncio.to_thread(self._save_checkpoint, position)
        self._saved, self._saved_at = position, time.monotonic()

    async def _publish(self, batch: list[StoredEvent]) -> list[StoredEvent]:
        """Publish all, wait a bounded time for acks, return the acknowledged prefix.

        The wait is bounded because nats-py's publish_async futures never resolve when the
        server rejects a message (nats.py issue 985).
        """
        futures = []
        try:
            for event in batch:
                futures.append(
                    await self.js.publish_async(
                        self.settings.subject(event.aggregate, event.type),
                        codec.dumpb(event.envelope()),
                        headers={"Nats-Msg-Id": event.event_id},
                        stream=self.stream,
                        wait_stall=self.publish_timeout,
                    )
                )
        except Exception:
            for future in futures:
                future.cancel()
            raise
        _, pending = await asyncio.wait(futures, timeout=self.publish_timeout)
        for future in pending:
            future.cancel()
        confirmed = []
        for event, future in zip(batch, futures, strict=True):
            if future.cancelled() or future.exception() is not None:
                break
            confirmed.append(event)
        return confirmed

    def _save_checkpoint(self, position: int) -> None:
        with write_transaction(self.engine) as conn:
            lease.assert_held(conn, LEASE, self.holder)
            checkpoints.put(conn, CHECKPOINT, position)


def relay_lag(conn) -> int:
    return eventstore.head_position(conn) - checkpoints.get(conn, CHECKPOINT)


async def _listen(engine: Engine, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """LISTEN for appends; reconnect quietly, the poll covers any gap."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {eventstore.NOTIFY_CHANNEL}")
                async for _ in conn.notifies():
                    wake.set()
        except (psycopg.Error, OSError):
            await _wait(stop, 1.0)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
