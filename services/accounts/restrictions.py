"""Restrictions (freeze, non_counter_suspended, stop_payment): imposed, lifted, expired (pure)."""

from datetime import datetime

from services.accounts.accounts import Account, Restriction, require_account, restriction_cause
from services.accounts.errors import Conflict, NotPermitted, Rejected, Unknown
from shared.envelope import NewEvent, iso

TYPES = ("freeze", "non_counter_suspended", "stop_payment")
EXPIRED = "expired"


def restricted(
    state: Account,
    restriction_id: str,
    type_: str,
    reason: str,
    source: dict,
    expires_at: datetime | None,
    requested_by: str,
) -> NewEvent:
    data = {
        "account_id": state.id,
        "customer_id": state.customer_id,
        "restriction_id": restriction_id,
        "type": type_,
        "reason": reason,
        "source": source,
        "expires_at": iso(expires_at) if expires_at is not None else None,
        "requested_by": requested_by,
    }
    return NewEvent("AccountRestricted", data)


def decide_restrict(
    state: Account,
    restriction_id: str,
    type_: str,
    reason: str,
    source: dict,
    expires_at: datetime | None,
    requested_by: str,
    now: datetime,
) -> list[NewEvent]:
    require_account(state)
    if state.status in ("refused", "closed"):
        code = f"ACCOUNT_{state.status.upper()}"
        raise Conflict(f"A {state.status} account cannot be restricted.", code=code)
    if type_ not in TYPES:
        code = "RESTRICTION_TYPE_UNKNOWN"
        raise Rejected(f"Unknown restriction type {type_}.", field="type", code=code)
    if expires_at is not None and expires_at <= now:
        code = "EXPIRY_PASSED"
        raise Rejected("An expiry must lie in the future.", field="expires_at", code=code)
    return [restricted(state, restriction_id, type_, reason, source, expires_at, requested_by)]


def decide_restrict_once(
    state: Account,
    restriction_id: str,
    type_: str,
    reason: str,
    source: dict,
    expires_at: datetime | None,
    requested_by: str,
    now: datetime,
) -> list[NewEvent]:
    """For requests from other services: a cause already acted on imposes nothing again."""
    if restriction_cause(type_, source) in state.restriction_causes:
        return []
    return decide_restrict(
        state, restriction_id, type_, reason, source, expires_at, requested_by, now
    )


def _lifted(state: Account, restriction: Restriction, reason: str) -> NewEvent:
    data = {
        "account_id": state.id,
        "customer_id": state.customer_id,
        "restriction_id": restriction.id,
        "type": restriction.type,
        "reason": reason,
    }
    return NewEvent("AccountRestrictionLifted", data)


def decide_lift(state: Account, restriction_id: str, lifted_by: str, reason: str) -> list[NewEvent]:
    """Four eyes: whoever requested a restriction may not lift it (403)."""
    require_account(state)
    if restriction_id in state.lifted:
        raise Conflict("This restriction was already lifted.")
    restriction = next((r for r in state.restrictions if r.id == restriction_id), None)
    if restriction is None:
        raise Unknown("No such restriction on this account.")
    if restriction.requested_by == lifted_by:
        raise NotPermitted("A supervisor other than the requester must lift a restriction.")
    return [_lifted(state, restriction, reason)]


def decide_expire(state: Account, now: datetime) -> list[NewEvent]:
    """Lift every restriction whose expiry has passed; nothing twice."""
    return [_lifted(state, r, EXPIRED) for r in state.restrictions if r.expired_by(now)]
