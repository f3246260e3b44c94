"""The SLA timer: every worker runs it; each case's warning and breach are recorded once."""

import logging
from datetime import datetime

from sqlalchemy import Engine, and_, or_, select

from services.cases.decisions import decide_sla
from services.cases.domain import CASE, UNRESOLVED
from services.cases.projections import cases, projections
from shared.application import execute
from shared.config import Settings
from shared.db import read_transaction
from shared.envelope import SYSTEM_ACTOR, Context, iso
from shared.eventstore import ConcurrencyError
from shared.service import Timer

log = logging.getLogger(__name__)
EVERY_SECONDS = 15.0


def due_cases(engine: Engine, now: datetime) -> list[tuple[str, str | None]]:
    """Unresolved cases past a threshold they have no event for yet (the projection's view)."""
    moment = iso(now)
    query = select(cases.c.id, cases.c.correlation_id).where(
        cases.c.status.in_(sorted(UNRESOLVED)),
        or_(
            and_(cases.c.sla_state == "ok", cases.c.sla_warning_at <= moment),
            and_(cases.c.sla_state != "breached", cases.c.sla_due_at <= moment),
        ),
    )
    with read_transaction(engine) as conn:
        return [(row.id, row.correlation_id) for row in conn.execute(query)]


def check_slas(engine: Engine, settings: Settings | None, now: datetime) -> int:
    """Record what is due at `now`; the case's own state decides, so repeats record nothing.

    Two workers racing on one case: the loser's append fails, `execute` reloads, and the
    decision, seeing the winner's event, records nothing. Returns the events recorded.
    """
    recorded = 0
    for case_id, correlation_id in due_cases(engine, now):
        context = Context(SYSTEM_ACTOR, now, correlation_id or case_id, causation_id=None)
        try:
            outcome = execute(
                engine, CASE, case_id, lambda state: decide_sla(state, now), context, projections
            )
        except ConcurrencyError:
            log.warning("SLA check of %s kept losing races; next tick retries", case_id)
            continue
        recorded += len(outcome.events)
    return recorded


SLA_TIMER = Timer("case-sla", EVERY_SECONDS, check_slas)
