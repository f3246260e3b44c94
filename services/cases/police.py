"""Pure decisions of police-bank verification: a liaison's confirmation and every view they make."""

from dataclasses import dataclass
from datetime import datetime

from services.cases.decisions import resolved
from services.cases.domain import PENDING, Case, CaseConflict, CaseNotFound, Verification
from shared.envelope import NewEvent


@dataclass(frozen=True)
class ConfirmVerification:
    verification_id: str
    police_unit: str
    outcome: str
    police_reference: str
    officer: str
    notes: str
    by: str


@dataclass(frozen=True)
class RecordPoliceView:
    verification_id: str
    police_unit: str
    viewer: str


def _addressed_to(state: Case, verification_id: str, police_unit: str) -> Verification:
    """Another unit's request is indistinguishable from one that does not exist."""
    verification = state.verification(verification_id) if state.exists else None
    if verification is None or verification.police_unit != police_unit:
        raise CaseNotFound("No such verification request.")
    return verification


def decide_confirm(state: Case, command: ConfirmVerification, now: datetime) -> list[NewEvent]:
    """The police answer settles the case: the confirmation and the resolution, together."""
    verification = _addressed_to(state, command.verification_id, command.police_unit)
    if verification.status != PENDING:
        raise CaseConflict(f"Verification {verification.id} is already {verification.status}.")
    confirmed = NewEvent(
        "PoliceVerificationConfirmed",
        {
            "case_id": state.id,
            "verification_id": verification.id,
            "account_id": state.account_id,
            "withdrawal_id": state.withdrawal_id,
            "outcome": command.outcome,
            "police_reference": command.police_reference,
            "officer": command.officer,
            "notes": command.notes,
        },
    )
    reason = (
        f"Police verification {verification.id} by {verification.police_unit}: "
        f"{command.outcome} (reference {command.police_reference})"
    )
    return [confirmed, resolved(state, command.outcome, reason, command.by)]


def decide_record_view(state: Case, command: RecordPoliceView, now: datetime) -> list[NewEvent]:
    """Every look a liaison takes at a case is on its record, whatever the case's status."""
    verification = _addressed_to(state, command.verification_id, command.police_unit)
    return [
        NewEvent(
            "CaseViewedByPolice",
            {
                "case_id": state.id,
                "verification_id": verification.id,
                "police_unit": command.police_unit,
                "viewer": command.viewer,
            },
        )
    ]
