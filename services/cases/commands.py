"""The commands a case accepts: what the caller asked for, in plain values (imperative names)."""

from dataclasses import dataclass
from datetime import datetime

from services.cases.domain import SlaPlan


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    case_type: str
    account_id: str
    customer_id: str | None
    withdrawal_id: str | None
    source: dict | None  # {event_type, event_id, occurred_at} of the event that opened it
    summary: str
    details: dict
    sla: SlaPlan


@dataclass(frozen=True)
class Claim:
    by: str


@dataclass(frozen=True)
class Assign:
    investigator: str
    by: str


@dataclass(frozen=True)
class AddNote:
    text: str


@dataclass(frozen=True)
class RecordContact:
    channel: str
    outcome: str
    summary: str


@dataclass(frozen=True)
class RequestVerification:
    verification_id: str
    police_unit: str
    summary: str


@dataclass(frozen=True)
class Escalate:
    reason: str


@dataclass(frozen=True)
class RequestRestriction:
    type: str
    reason: str
    expires_at: datetime | None
    by: str


@dataclass(frozen=True)
class RecordRestrictionRefusal:
    """accounts' answer to one AccountRestrictionRequested: it could not impose it, and why."""

    request_event_id: str
    refusal_event_id: str
    account_id: str
    type: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class Resolve:
    outcome: str
    reason: str
    by: str


@dataclass(frozen=True)
class Close:
    reason: str


@dataclass(frozen=True)
class Reopen:
    reason: str
