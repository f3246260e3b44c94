"""Bounded bookkeeping: the worker prunes expired idempotency keys, old inbox rows and dead letters.

Each table is pruned in batches of `retention_batch_size` rows, each batch its own short write
transaction, and at most `retention_batches_per_run` batches a run, so pruning never holds a
lock for long (SQLite's write lock included) and a backlog is worked off over several runs.

- Idempotency keys are deleted once their DOMAIN §2 window (24 h) is over: an expired key is
  never answered from again, so keeping it longer serves nothing.
- Inbox rows after `inbox_retention_days`. The inbox catches redeliveries, which come within
  the ack wait (seconds); only a consumer recreated from the start of its stream would meet an
  event older than that, and the handlers are idempotent by design besides.
- Dead letters only once resolved (retried or already processed), `dead_letter_retention_days`
  after their resolution. An unresolved one is a parked message an operator has to see
  (`warden dead-letters`, the warden_dead_letters metric), so it stays however old it is.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, Engine, Table, delete, select, tuple_

from shared.db import write_transaction
from shared.schema import dead_letters, idempotency_keys, inbox
from shared.service import Timer

log = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)  # DOMAIN §2: a key is answered from for 24 h


@dataclass(frozen=True)
class Prune:
    """What to delete from one table: rows matching `old(now)`, chosen by primary key."""

    table: Table
    key: tuple[Column, ...]
    old: Callable[[datetime], ColumnElement[bool]]


def prunes(settings) -> list[Prune]:
    inbox_age = timedelta(days=settings.inbox_retention_days)
    dead_age = timedelta(days=settings.dead_letter_retention_days)
    keys, dead = idempotency_keys.c, dead_letters.c
    return [
        Prune(
            idempotency_keys,
            (keys.scope, keys.key),
            lambda now: keys.created_at <= now - IDEMPOTENCY_WINDOW,
        ),
        Prune(
            inbox,
            (inbox.c.consumer, inbox.c.event_id),
            lambda now: inbox.c.processed_at <= now - inbox_age,
        ),
        # resolved_at is NULL while a letter is unresolved, and NULL <= anything is not true.
        Prune(dead_letters, (dead.id,), lambda now: dead.resolved_at <= now - dead_age),
    ]


def prune(engine: Engine, settings, now: datetime) -> dict[str, int]:
    """One run: rows deleted by table, at most batch size × batches per run from each."""
    deleted = {}
    for job in prunes(settings):
        deleted[job.table.name] = 0
        for _ in range(settings.retention_batches_per_run):
            with write_transaction(engine) as conn:
                count = _delete_batch(conn, job, now, settings.retention_batch_size)
            deleted[job.table.name] += count
            if count < settings.retention_batch_size:
                break
    if any(deleted.values()):
        log.info("retention pruned %s", deleted)
    return deleted


def _delete_batch(conn, job: Prune, now: datetime, limit: int) -> int:
    chosen = select(*job.key).where(job.old(now)).limit(limit)
    key = job.key[0] if len(job.key) == 1 else tuple_(*job.key)
    return conn.execute(delete(job.table).where(key.in_(chosen))).rowcount


def retention_timer(settings) -> Timer:
    """The worker's pruning job, run like any service timer."""
    return Timer("retention", settings.retention_every_seconds, prune)
