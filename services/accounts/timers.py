"""Worker timers: tier decay and restriction expiry. Every worker runs them; a lost race is fine.

Each scans a projection for candidates and runs one command per account, which decides again
from the account's own log, so running twice (or on two workers) changes nothing twice.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from services.accounts import application, queries
from services.accounts.policy import load_policy
from shared.config import Settings
from shared.db import read_transaction
from shared.envelope import SYSTEM_ACTOR, Context
from shared.eventstore import ConcurrencyError
from shared.ids import new_id
from shared.projections import Projections
from shared.service import Timer

log = logging.getLogger(__name__)

DECAY_EVERY_SECONDS = 3600
EXPIRY_EVERY_SECONDS = 30


def _context(now: datetime) -> Context:
    return Context(actor=SYSTEM_ACTOR, occurred_at=now, correlation_id=new_id())


def _each(engine: Engine, candidates: list[str], command: Callable) -> int:
    """Run `command` per account; the number of accounts that changed."""
    changed = 0
    for account_id in candidates:
        try:
            changed += bool(command(account_id).events)
        except ConcurrencyError:
            log.info("timer lost a race on %s; the next tick looks again", account_id)
    return changed


def tier_decay(projections: Projections) -> Timer:
    def run(engine: Engine, settings: Settings, now: datetime) -> int:
        policy = load_policy(settings.rules_file)
        with read_transaction(engine) as conn:
            candidates = queries.decay_candidates(conn, policy, now)
        return _each(
            engine,
            candidates,
            lambda account_id: application.decay_tier(
                engine, projections, policy, account_id, _context(now)
            ),
        )

    return Timer("tier-decay", DECAY_EVERY_SECONDS, run)


def restriction_expiry(projections: Projections) -> Timer:
    def run(engine: Engine, settings: Settings, now: datetime) -> int:
        with read_transaction(engine) as conn:
            candidates = queries.expiry_candidates(conn, now)
        return _each(
            engine,
            candidates,
            lambda account_id: application.expire_restrictions(
                engine, projections, account_id, _context(now)
            ),
        )

    return Timer("restriction-expiry", EXPIRY_EVERY_SECONDS, run)
