"""Worker timers: record that an approved rules version took effect. Idempotent per version.

Screening already uses a version from its `activates_at` (it reads the approval); this timer
writes the audit trail's RulesVersionActivated, with the version it replaced, once per version.
Every worker runs it; a lost race is fine, the next tick looks again.
"""

import logging
from datetime import datetime

from sqlalchemy import Engine

from services.withdrawals.rule_version_projection import due_activations, in_force_before
from services.withdrawals.rule_versions import RULES_VERSION, decide_record_activation, stream_id
from services.withdrawals.rules import load_rules
from shared.application import execute
from shared.config import Settings
from shared.db import read_transaction
from shared.envelope import SYSTEM_ACTOR, Context
from shared.eventstore import ConcurrencyError
from shared.ids import new_id
from shared.projections import Projections
from shared.service import Timer

log = logging.getLogger(__name__)

ACTIVATION_EVERY_SECONDS = 5


def rules_activation(projections: Projections) -> Timer:
    versions = projections.metadata.tables["wd_rule_versions"]

    def run(engine: Engine, settings: Settings, now: datetime) -> int:
        seed = load_rules(settings.rules_file).version
        with read_transaction(engine) as conn:
            due = [
                (version, in_force_before(conn, versions, at, position) or seed)
                for version, at, position in due_activations(conn, versions, now)
            ]
        recorded = 0
        for version, replaced in due:
            context = Context(actor=SYSTEM_ACTOR, occurred_at=now, correlation_id=new_id())
            try:
                outcome = execute(
                    engine,
                    RULES_VERSION,
                    stream_id(version),
                    lambda state, r=replaced: decide_record_activation(state, now, r),
                    context,
                    projections,
                )
                recorded += bool(outcome.events)
            except ConcurrencyError:
                log.info("rules activation lost a race on %s; the next tick looks again", version)
        return recorded

    return Timer("rules-activation", ACTIVATION_EVERY_SECONDS, run)
