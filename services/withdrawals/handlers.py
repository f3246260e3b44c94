"""What this service does when accounts and cases events arrive.

Facts about accounts and customers are recorded in this service's own log before anything
reads them; case outcomes move withdrawals. Every handler is idempotent by state, and an event
about a withdrawal this service never saw is logged and acknowledged, never retried forever.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from services.withdrawals import queries
from services.withdrawals.domain import (
    WITHDRAWAL,
    decide_case_cancellation,
    decide_link_case,
    decide_police_outcome,
)
from services.withdrawals.facts import (
    ACCOUNT_FACTS,
    ACCOUNT_VIEW,
    CUSTOMER_VIEW,
    account_view_id,
    case_closed,
    case_opened,
    customer_facts,
    customer_view_id,
    decide_account_facts,
    decide_customer_facts,
)
from shared.application import execute_in
from shared.envelope import Context, Envelope, utc_now
from shared.projections import Projections

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def make_subscriptions(projections: Projections, clock: Clock = utc_now) -> dict:
    """Handlers by source service and event type, for ServiceSpec.subscriptions."""
    reactions = _Reactions(projections, clock)
    accounts = {
        name: reactions.account_event(translate) for name, translate in ACCOUNT_FACTS.items()
    }
    accounts["CustomerRegistered"] = reactions.customer_event
    accounts["CustomerContactChanged"] = reactions.customer_event
    cases = {
        "CaseOpened": reactions.case_opened,
        "CaseResolved": reactions.case_resolved,
        "CaseReopened": reactions.case_reopened,
        "PoliceVerificationConfirmed": reactions.police_confirmed,
    }
    return {"accounts": accounts, "cases": cases}


class _Reactions:
    def __init__(self, projections: Projections, clock: Clock):
        self.projections = projections
        self.clock = clock

    def _context(self, envelope: Envelope) -> Context:
        return Context.reacting_to(envelope, occurred_at=self.clock())

    def _record_account(self, conn, envelope: Envelope, account_id: str, facts_of) -> None:
        source = {"type": envelope.type, "event_id": envelope.event_id}

        def decide(view):
            return decide_account_facts(view, account_id, source, facts_of(view))

        stream = account_view_id(account_id)
        execute_in(conn, ACCOUNT_VIEW, stream, decide, self._context(envelope), self.projections)

    def _move_withdrawal(self, conn, envelope: Envelope, withdrawal_id, decide) -> None:
        if not withdrawal_id:
            return

        def guarded(state):
            if state.status is None:
                log.warning(
                    "%s %s names withdrawal %s, unknown here; ignored",
                    envelope.type,
                    envelope.event_id,
                    withdrawal_id,
                )
                return []
            return decide(state)

        context = self._context(envelope)
        execute_in(conn, WITHDRAWAL, withdrawal_id, guarded, context, self.projections)

    def account_event(self, translate):
        def handle(conn: Connection, envelope: Envelope) -> None:
            data = envelope.data
            self._record_account(conn, envelope, data["account_id"], lambda v: translate(v, data))

        return handle

    def customer_event(self, conn: Connection, envelope: Envelope) -> None:
        data, customer_id = envelope.data, envelope.data["customer_id"]
        source = {"type": envelope.type, "event_id": envelope.event_id}
        proposed = customer_facts(envelope.type, data)

        def decide(view):
            return decide_customer_facts(view, customer_id, source, proposed)

        stream = customer_view_id(customer_id)
        execute_in(conn, CUSTOMER_VIEW, stream, decide, self._context(envelope), self.projections)

    def case_opened(self, conn: Connection, envelope: Envelope) -> None:
        data, case_id = envelope.data, envelope.data["case_id"]
        if data.get("account_id"):
            self._record_account(
                conn, envelope, data["account_id"], lambda v: case_opened(v, case_id)
            )
        if data.get("case_type") == "police_verification":
            self._move_withdrawal(
                conn, envelope, data.get("withdrawal_id"), lambda w: decide_link_case(w, case_id)
            )

    def case_resolved(self, conn: Connection, envelope: Envelope) -> None:
        data, case_id = envelope.data, envelope.data["case_id"]
        if data.get("account_id"):
            self._record_account(
                conn, envelope, data["account_id"], lambda v: case_closed(v, case_id)
            )
        if data.get("outcome") == "customer_cancelled":
            reason = data.get("reason") or "customer cancelled (case resolved)"
            self._move_withdrawal(
                conn,
                envelope,
                data.get("withdrawal_id"),
                lambda w: decide_case_cancellation(w, case_id, reason),
            )

    def case_reopened(self, conn: Connection, envelope: Envelope) -> None:
        case_id = envelope.data["case_id"]
        account_id = queries.case_account(conn, self.projections, case_id)
        if account_id is None:
            log.warning(
                "CaseReopened %s: case %s is not known here; ignored", envelope.event_id, case_id
            )
            return
        self._record_account(conn, envelope, account_id, lambda v: case_opened(v, case_id))

    def police_confirmed(self, conn: Connection, envelope: Envelope) -> None:
        data = envelope.data

        def decide(state):
            return decide_police_outcome(
                state, data["case_id"], data["outcome"], data.get("police_reference")
            )

        self._move_withdrawal(conn, envelope, data.get("withdrawal_id"), decide)
