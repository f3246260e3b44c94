"""The case aggregate: its vocabulary, its state, and how each of its events changes that state."""

from dataclasses import dataclass, replace
from datetime import datetime

from shared.aggregate import Aggregate

POLICE_VERIFICATION = "police_verification"
DUE_DILIGENCE_REVIEW = "due_diligence_review"
SUSPICIOUS_ACCOUNT = "suspicious_account"
CASE_TYPES = (POLICE_VERIFICATION, DUE_DILIGENCE_REVIEW, SUSPICIOUS_ACCOUNT)

OPEN, IN_PROGRESS, AWAITING_POLICE = "open", "in_progress", "awaiting_police"
RESOLVED, CLOSED = "resolved", "closed"
STATUSES = (OPEN, IN_PROGRESS, AWAITING_POLICE, RESOLVED, CLOSED)
UNRESOLVED = frozenset({OPEN, IN_PROGRESS, AWAITING_POLICE})
# Working a case (contacting, asking the police, resolving) needs someone to have taken it.
IN_WORK = frozenset({IN_PROGRESS, AWAITING_POLICE})

# What an investigator may resolve each case type with; police outcomes come by confirmation.
OUTCOMES = {
    DUE_DILIGENCE_REVIEW: ("approved", "refused"),
    POLICE_VERIFICATION: ("customer_cancelled",),
    SUSPICIOUS_ACCOUNT: ("no_action", "restriction_requested"),
}
POLICE_OUTCOMES = ("cleared", "fraud_victim", "fraud_suspect")
CONTACT_CHANNELS = ("phone", "in_person", "sms")
CONTACT_OUTCOMES = ("reached", "not_reached", "customer_insists", "customer_cancelled")
RESTRICTION_TYPES = ("freeze", "non_counter_suspended", "stop_payment")

PENDING, CONFIRMED, WITHDRAWN = "pending", "confirmed", "withdrawn"
VERIFICATION_STATUSES = (PENDING, CONFIRMED, WITHDRAWN)
SLA_OK, SLA_WARNING, SLA_BREACHED = "ok", "warning", "breached"
SLA_STATES = (SLA_OK, SLA_WARNING, SLA_BREACHED)
INVESTIGATORS, SUPERVISORS = "investigators", "supervisors"
QUEUES = (INVESTIGATORS, SUPERVISORS)


class CaseError(Exception):
    """A decision refused; the API maps each subclass to one problem status."""


class CaseNotFound(CaseError):
    """No such case, or none the caller may see (404)."""


class AccountNotKnown(CaseNotFound):
    """An account accounts has not told this service about (yet): a 404, as withdrawals answers
    one (DOMAIN §6); accounts' events arrive within a second, so callers retry."""

    def __init__(self, account_id: str):
        super().__init__(f"Account {account_id} is not known here yet.")


class CaseConflict(CaseError):
    """The case's state does not allow this now (409)."""


class CaseForbidden(CaseError):
    """This person may not do this to this case, whatever their role (403)."""


class CaseInvalid(CaseError):
    """The input breaks a business rule (422), with messages by field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


@dataclass(frozen=True)
class SlaPlan:
    """When a case started, when it is warned about and when it is due, under which rules."""

    rules_version: str
    started_at: datetime
    warning_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Verification:
    id: str
    police_unit: str
    status: str = PENDING
    outcome: str | None = None


@dataclass(frozen=True)
class Case:
    """What decisions need to know about one case; `status` None means it does not exist."""

    id: str | None = None
    case_type: str | None = None
    status: str | None = None
    account_id: str | None = None
    customer_id: str | None = None
    withdrawal_id: str | None = None
    opened_by: str | None = None
    assignee: str | None = None
    queue: str = INVESTIGATORS
    sla_warning_at: datetime | None = None
    sla_due_at: datetime | None = None
    sla_warned: bool = False
    sla_breached: bool = False
    verifications: tuple[Verification, ...] = ()
    restrictions_requested: int = 0
    # The restriction requests (by their event id) accounts answered with a refusal.
    restrictions_refused: frozenset[str] = frozenset()
    outcome: str | None = None

    @property
    def exists(self) -> bool:
        return self.status is not None

    def verification(self, verification_id: str) -> Verification | None:
        return next((v for v in self.verifications if v.id == verification_id), None)

    def pending_verification(self) -> Verification | None:
        return next((v for v in self.verifications if v.status == PENDING), None)


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _opened(state: Case, data: dict) -> Case:
    return replace(
        state,
        id=data["case_id"],
        case_type=data["case_type"],
        status=OPEN,
        account_id=data["account_id"],
        customer_id=data["customer_id"],
        withdrawal_id=data["withdrawal_id"],
        sla_due_at=parse_time(data["sla_due_at"]),
    )


def _facts(state: Case, data: dict) -> Case:
    return replace(
        state,
        opened_by=data["details"].get("opened_by"),
        sla_warning_at=parse_time(data["sla"]["warning_at"]),
    )


def _assigned(state: Case, data: dict) -> Case:
    status = IN_PROGRESS if state.status == OPEN else state.status
    return replace(state, assignee=data["assignee"], status=status)


def _verification_requested(state: Case, data: dict) -> Case:
    requested = Verification(id=data["verification_id"], police_unit=data["police_unit"])
    return replace(state, status=AWAITING_POLICE, verifications=(*state.verifications, requested))


def _verification_confirmed(state: Case, data: dict) -> Case:
    confirmed = tuple(
        replace(v, status=CONFIRMED, outcome=data["outcome"])
        if v.id == data["verification_id"]
        else v
        for v in state.verifications
    )
    return replace(state, verifications=confirmed)


def _resolved(state: Case, data: dict) -> Case:
    # A request the police never answered is withdrawn once the case is settled another way.
    withdrawn = tuple(
        replace(v, status=WITHDRAWN) if v.status == PENDING else v for v in state.verifications
    )
    return replace(state, status=RESOLVED, outcome=data["outcome"], verifications=withdrawn)


_EVOLVE = {
    "CaseOpened": _opened,
    "CaseFactsRecorded": _facts,
    "CaseAssigned": _assigned,
    "PoliceVerificationRequested": _verification_requested,
    "PoliceVerificationConfirmed": _verification_confirmed,
    "CaseEscalated": lambda state, _: replace(state, queue=SUPERVISORS),
    "CaseSlaWarning": lambda state, _: replace(state, sla_warned=True),
    "CaseSlaBreached": lambda state, _: replace(
        state, sla_warned=True, sla_breached=True, queue=SUPERVISORS
    ),
    "AccountRestrictionRequested": lambda state, _: replace(
        state, restrictions_requested=state.restrictions_requested + 1
    ),
    "RestrictionRefusalRecorded": lambda state, data: replace(
        state, restrictions_refused=state.restrictions_refused | {data["request_event_id"]}
    ),
    "CaseResolved": _resolved,
    "CaseClosed": lambda state, _: replace(state, status=CLOSED),
    "CaseReopened": lambda state, _: replace(state, status=IN_PROGRESS, outcome=None),
}


def evolve(state: Case, event) -> Case:
    """Fold one event (decided or stored) into the state; unknown types change nothing."""
    apply = _EVOLVE.get(event.type)
    return apply(state, event.data) if apply else state


CASE = Aggregate(name="case", initial=Case(), evolve=evolve)
