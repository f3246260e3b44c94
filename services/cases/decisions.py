"""Pure decisions on a case: each takes the state, a command and the time, and returns events.

The commands are re-exported here, so callers can say decisions.Claim(...).
"""

from datetime import datetime

from services.cases.commands import (
    AddNote,
    Assign,
    Claim,
    Close,
    Escalate,
    OpenCase,
    RecordContact,
    RecordRestrictionRefusal,
    Reopen,
    RequestRestriction,
    RequestVerification,
    Resolve,
)
from services.cases.domain import (
    CLOSED,
    DUE_DILIGENCE_REVIEW,
    IN_WORK,
    OUTCOMES,
    POLICE_VERIFICATION,
    RESOLVED,
    SUSPICIOUS_ACCOUNT,
    UNRESOLVED,
    Case,
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
)
from shared.envelope import NewEvent, iso


def _event(state: Case, event_type: str, **data) -> NewEvent:
    return NewEvent(event_type, {"case_id": state.id, **data})


def _existing(state: Case) -> Case:
    if not state.exists:
        raise CaseNotFound("No such case.")
    return state


def _require(state: Case, allowed: frozenset, action: str) -> None:
    if _existing(state).status not in allowed:
        raise CaseConflict(f"A case that is {state.status} cannot be {action}.")


def _require_in_work(state: Case, action: str) -> None:
    if _existing(state).status == "open":
        raise CaseConflict(f"Claim the case (or have it assigned) before it is {action}.")
    _require(state, IN_WORK, action)


def decide_open(state: Case, command: OpenCase, now: datetime) -> list[NewEvent]:
    """Exactly one case per id: opening an existing case decides nothing."""
    if state.exists:
        return []
    opened = {
        "case_id": command.case_id,
        "case_type": command.case_type,
        "account_id": command.account_id,
        "customer_id": command.customer_id,
        "withdrawal_id": command.withdrawal_id,
        "source_event_id": command.source["event_id"] if command.source else None,
        "sla_due_at": iso(command.sla.due_at),
        "summary": command.summary,
    }
    sla = command.sla
    facts = {
        "case_id": command.case_id,
        "source": command.source,
        "details": command.details,
        "sla": {
            "rules_version": sla.rules_version,
            "started_at": iso(sla.started_at),
            "warning_at": iso(sla.warning_at),
            "due_at": iso(sla.due_at),
        },
    }
    return [NewEvent("CaseOpened", opened), NewEvent("CaseFactsRecorded", facts)]


def decide_claim(state: Case, command: Claim, now: datetime) -> list[NewEvent]:
    _require(state, UNRESOLVED, "claimed")
    if state.assignee == command.by:
        raise CaseConflict("You have already claimed this case.")
    if state.assignee is not None:
        raise CaseConflict(f"{state.assignee} works this case; a supervisor may reassign it.")
    return [_event(state, "CaseAssigned", assignee=command.by, assigned_by=command.by)]


def decide_assign(state: Case, command: Assign, now: datetime) -> list[NewEvent]:
    _require(state, UNRESOLVED, "assigned")
    if state.assignee == command.investigator:
        raise CaseConflict(f"The case is already assigned to {command.investigator}.")
    return [_event(state, "CaseAssigned", assignee=command.investigator, assigned_by=command.by)]


def decide_add_note(state: Case, command: AddNote, now: datetime) -> list[NewEvent]:
    if _existing(state).status == CLOSED:
        raise CaseConflict("A closed case takes no more notes; reopen it first.")
    return [_event(state, "CaseNoteAdded", text=command.text)]


def decide_record_contact(state: Case, command: RecordContact, now: datetime) -> list[NewEvent]:
    _require_in_work(state, "worked on")
    return [
        _event(
            state,
            "CustomerContactRecorded",
            channel=command.channel,
            outcome=command.outcome,
            summary=command.summary,
        )
    ]


def decide_request_verification(
    state: Case, command: RequestVerification, now: datetime
) -> list[NewEvent]:
    _require_in_work(state, "sent to the police")
    if state.case_type != POLICE_VERIFICATION:
        raise CaseConflict(f"A {state.case_type} case does not go to police verification.")
    pending = state.pending_verification()
    if pending is not None:
        raise CaseConflict(f"{pending.id} is still pending with {pending.police_unit}.")
    return [
        _event(
            state,
            "PoliceVerificationRequested",
            verification_id=command.verification_id,
            police_unit=command.police_unit,
            summary=command.summary,
        )
    ]


def decide_escalate(state: Case, command: Escalate, now: datetime) -> list[NewEvent]:
    _require(state, UNRESOLVED, "escalated")
    return [_event(state, "CaseEscalated", reason=command.reason)]


def decide_request_restriction(
    state: Case, command: RequestRestriction, now: datetime
) -> list[NewEvent]:
    _require_in_work(state, "used to restrict an account")
    if command.expires_at is not None and command.expires_at <= now:
        raise CaseInvalid("expires_at", "Must be in the future.")
    return [
        _event(
            state,
            "AccountRestrictionRequested",
            account_id=state.account_id,
            type=command.type,
            reason=command.reason,
            expires_at=iso(command.expires_at) if command.expires_at else None,
            requested_by=command.by,
        )
    ]


def decide_record_refusal(state: Case, command: RecordRestrictionRefusal) -> list[NewEvent]:
    """accounts refused a restriction the case asked for: the case says so, in any status, once
    per request; a case this service does not have decides nothing."""
    if not state.exists or command.request_event_id in state.restrictions_refused:
        return []
    return [
        _event(
            state,
            "RestrictionRefusalRecorded",
            request_event_id=command.request_event_id,
            refusal_event_id=command.refusal_event_id,
            account_id=command.account_id,
            type=command.type,
            reason_code=command.reason_code,
            reason=command.reason,
        )
    ]


def decide_resolve(state: Case, command: Resolve, now: datetime) -> list[NewEvent]:
    _require_in_work(state, "resolved")
    allowed = OUTCOMES[state.case_type]
    if command.outcome not in allowed:
        raise CaseInvalid(
            "outcome", f"A {state.case_type} case is resolved with one of: {', '.join(allowed)}."
        )
    if state.case_type == DUE_DILIGENCE_REVIEW and command.by == state.opened_by:
        raise CaseForbidden("Four eyes: whoever opened the account may not review it.")
    if (
        state.case_type == SUSPICIOUS_ACCOUNT
        and command.outcome == "restriction_requested"
        and not state.restrictions_requested
    ):
        raise CaseConflict("Request a restriction on the account before resolving with one.")
    return [resolved(state, command.outcome, command.reason, command.by)]


def resolved(state: Case, outcome: str, reason: str, by: str) -> NewEvent:
    return _event(
        state,
        "CaseResolved",
        case_type=state.case_type,
        account_id=state.account_id,
        withdrawal_id=state.withdrawal_id,
        outcome=outcome,
        reason=reason,
        resolved_by=by,
    )


def decide_close(state: Case, command: Close, now: datetime) -> list[NewEvent]:
    if _existing(state).status != RESOLVED:
        raise CaseConflict(f"Only a resolved case can be closed; this one is {state.status}.")
    return [_event(state, "CaseClosed", reason=command.reason)]


def decide_reopen(state: Case, command: Reopen, now: datetime) -> list[NewEvent]:
    _require(state, frozenset({RESOLVED, CLOSED}), "reopened")
    return [_event(state, "CaseReopened", reason=command.reason)]


def decide_withdrawal_cancelled(state: Case, reason: str, by: str) -> list[NewEvent]:
    """The customer took the request back at the counter: an open case ends with it."""
    if not state.exists or state.status not in UNRESOLVED:
        return []
    return [resolved(state, "customer_cancelled", reason, by)]


def decide_sla(state: Case, now: datetime) -> list[NewEvent]:
    """Warning at the warning time, breach at the due time, each once; settled cases get none."""
    if not state.exists or state.status not in UNRESOLVED:
        return []
    due = iso(state.sla_due_at)
    events = []
    if not state.sla_warned and state.sla_warning_at and now >= state.sla_warning_at:
        events.append(_event(state, "CaseSlaWarning", sla_due_at=due))
    if not state.sla_breached and now >= state.sla_due_at:
        events.append(_event(state, "CaseSlaBreached", sla_due_at=due))
    return events
