"""What a case is opened with, from the event that caused it or an investigator's request (pure)."""

from datetime import datetime

from services.cases.commands import OpenCase
from services.cases.domain import DUE_DILIGENCE_REVIEW, POLICE_VERIFICATION, SUSPICIOUS_ACCOUNT
from services.cases.rules import CaseRules
from shared.envelope import iso

HOLD_FACTS = ("amount", "currency", "channel", "purpose", "branch_id", "appointment_id")
REFERRAL_FACTS = ("account_class", "purpose", "purpose_detail", "channel", "branch_id")


def case_id_for(source_event_id: str) -> str:
    """Deterministic: one source event can only ever name one case."""
    return f"case_{source_event_id}"


def _source(event_type: str, event_id: str, occurred_at: datetime) -> dict:
    return {"event_type": event_type, "event_id": event_id, "occurred_at": iso(occurred_at)}


def from_withdrawal_held(
    event_id: str, occurred_at: datetime, data: dict, rules: CaseRules
) -> OpenCase:
    """A held withdrawal waits for the police; its SLA runs from the hold."""
    reasons = list(data.get("reasons") or [])
    details = {key: data.get(key) for key in HOLD_FACTS}
    details.update(
        reasons=reasons, decision=data.get("decision"), customer=data.get("customer") or {}
    )
    summary = (
        f"Withdrawal {data['withdrawal_id']} of {data['amount']} {data['currency']} "
        f"({data['channel']}) held for police-bank verification: {', '.join(reasons)}"
    )
    return OpenCase(
        case_id=case_id_for(event_id),
        case_type=POLICE_VERIFICATION,
        account_id=data["account_id"],
        customer_id=data["customer_id"],
        withdrawal_id=data["withdrawal_id"],
        source=_source("WithdrawalHeld", event_id, occurred_at),
        summary=summary,
        details=details,
        sla=rules.plan(POLICE_VERIFICATION, occurred_at),
    )


def from_account_opening_referred(
    event_id: str, occurred_at: datetime, data: dict, rules: CaseRules
) -> OpenCase:
    """A doubtful opening waits for review; who opened it is kept for four eyes."""
    flags = list(data.get("flags") or [])
    details = {key: data.get(key) for key in REFERRAL_FACTS}
    details.update(
        flags=flags,
        opened_by=data.get("opened_by"),
        customer_name_initial=data.get("customer_name_initial"),
    )
    summary = f"Account {data['account_id']} referred for due-diligence review: {', '.join(flags)}"
    return OpenCase(
        case_id=case_id_for(event_id),
        case_type=DUE_DILIGENCE_REVIEW,
        account_id=data["account_id"],
        customer_id=data["customer_id"],
        withdrawal_id=None,
        source=_source("AccountOpeningReferred", event_id, occurred_at),
        summary=summary,
        details=details,
        sla=rules.plan(DUE_DILIGENCE_REVIEW, occurred_at),
    )


def suspicious_account(
    case_id: str,
    account_id: str,
    summary: str,
    now: datetime,
    rules: CaseRules,
    customer_id: str | None = None,
) -> OpenCase:
    """An investigator's own suspicion, on an account accounts told us of, with its customer."""
    return OpenCase(
        case_id=case_id,
        case_type=SUSPICIOUS_ACCOUNT,
        account_id=account_id,
        customer_id=customer_id,
        withdrawal_id=None,
        source=None,
        summary=summary,
        details={},
        sla=rules.plan(SUSPICIOUS_ACCOUNT, now),
    )
