"""A restriction a case asked for that accounts cannot impose, refused on the record (pure).

The refusal is an event, `AccountRestrictionRefused`, published like any other, so the case
that asked shows it rather than the request vanishing into a log line. It has a stream of its
own per request: an account this service does not have has no stream to put it on, and one
stream per request records one refusal however often the request is delivered.
"""

from dataclasses import dataclass

from services.accounts.errors import DomainError
from shared.aggregate import Aggregate
from shared.envelope import NewEvent

# What `reason_code` says; a refusal the domain makes without a code of its own is REFUSED.
REFUSAL_CODES = (
    "ACCOUNT_UNKNOWN",
    "ACCOUNT_CLOSED",
    "ACCOUNT_REFUSED",
    "RESTRICTION_TYPE_UNKNOWN",
    "EXPIRY_PASSED",
    "REFUSED",
)


def refusal_stream_id(request_event_id: str) -> str:
    return f"rstrefused-{request_event_id}"


@dataclass(frozen=True)
class RestrictionRefusal:
    request_event_id: str | None = None

    @property
    def recorded(self) -> bool:
        return self.request_event_id is not None


def evolve(state: RestrictionRefusal, event) -> RestrictionRefusal:
    if event.type != "AccountRestrictionRefused":
        return state
    return RestrictionRefusal(request_event_id=event.data["request_event_id"])


RESTRICTION_REFUSAL = Aggregate(
    name="restriction_refusal", initial=RestrictionRefusal(), evolve=evolve
)


def decide_refuse_restriction(
    state: RestrictionRefusal, request: dict, refusal: DomainError
) -> list[NewEvent]:
    """`request`: the case's AccountRestrictionRequested, with its `request_event_id`."""
    if state.recorded:
        return []
    data = {
        "account_id": request["account_id"],
        "case_id": request["case_id"],
        "request_event_id": request["request_event_id"],
        "type": request["type"],
        "requested_by": request["requested_by"],
        "reason_code": refusal.code or "REFUSED",
        "reason": refusal.detail,
    }
    return [NewEvent("AccountRestrictionRefused", data)]
