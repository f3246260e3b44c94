"""What accounts does when withdrawals' and cases' events arrive (docs/events.md).

Each handler runs in the consumer's transaction with the inbox row. Each is also idempotent
by state, and an event naming an account this service does not know, or one its state no
longer allows, is logged and acknowledged rather than retried into the dead letters; a case's
restriction request is the exception, answered with AccountRestrictionRefused (refusals.py)
so the case learns why.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.accounts import application
from services.accounts.errors import DomainError
from services.accounts.policy import Policy, load_policy
from shared.application import Outcome
from shared.consumer import Handler
from shared.envelope import Context, Envelope
from shared.ids import new_id
from shared.projections import Projections

log = logging.getLogger(__name__)

DUE_DILIGENCE = "due_diligence_review"


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _reacting(envelope: Envelope) -> Context:
    return Context.reacting_to(envelope, datetime.now(UTC))


def _guarded(name: str, act: Callable[[object, Envelope], Outcome | None]):
    """Run `act`; log, and do nothing more, when the account is unknown or refuses the change."""

    def handle(conn, envelope: Envelope) -> None:
        account_id = envelope.data.get("account_id")
        try:
            outcome = act(conn, envelope)
        except DomainError as exc:
            log.warning("%s on %s ignored: %s (%s)", envelope.type, account_id, exc, name)
            return
        if outcome is not None and outcome.version == 0:
            log.warning("%s names unknown account %s; ignored", envelope.type, account_id)

    return handle


def make_handlers(projections: Projections, rules_file: str = "") -> dict[str, dict[str, Handler]]:
    """The subscriptions, deciding with the policy at `rules_file` (settings.rules_file)."""

    def current_policy() -> Policy:
        return load_policy(rules_file)

    def withdrawal_held(conn, envelope):
        data, context = envelope.data, _reacting(envelope)
        held_at = envelope.occurred() or context.occurred_at
        return application.record_hold(
            conn,
            projections,
            current_policy(),
            data["account_id"],
            data["withdrawal_id"],
            held_at,
            data.get("reasons") or [],
            context,
        )

    def case_resolved(conn, envelope):
        data = envelope.data
        if data.get("case_type") != DUE_DILIGENCE:
            return None
        return application.resolve_review(
            conn,
            projections,
            current_policy(),
            data["account_id"],
            data["case_id"],
            data["outcome"],
            data.get("reason") or "",
            _reacting(envelope),
        )

    def police_confirmed(conn, envelope):
        data = envelope.data
        confirmation = {
            "outcome": data["outcome"],
            "police_reference": data.get("police_reference") or data["case_id"],
            "requested_by": envelope.actor.get("sub") or "police",
        }
        return application.apply_police_outcome(
            conn,
            projections,
            current_policy(),
            data["account_id"],
            confirmation,
            new_id("rst_"),
            _reacting(envelope),
        )

    def restriction_requested(conn, envelope):
        data = envelope.data
        request = {
            "request_event_id": envelope.event_id,
            "case_id": data["case_id"],
            "account_id": data["account_id"],
            "type": data["type"],
            "reason": data["reason"],
            "expires_at": _parse_time(data.get("expires_at")),
            "requested_by": data["requested_by"],
        }
        return application.restrict_for_case(
            conn, projections, data["account_id"], new_id("rst_"), request, _reacting(envelope)
        )

    return {
        "withdrawals": {"WithdrawalHeld": Handler(_guarded("hold", withdrawal_held))},
        "cases": {
            "CaseResolved": Handler(_guarded("review", case_resolved)),
            "PoliceVerificationConfirmed": Handler(_guarded("police", police_confirmed)),
            "AccountRestrictionRequested": Handler(_guarded("restriction", restriction_requested)),
        },
    }
