"""Given-events helpers for the case domain's unit tests: a case's history as decided events."""

from datetime import UTC, datetime, timedelta

from services.cases import decisions, opening
from services.cases.domain import CASE, POLICE_VERIFICATION, Case
from services.cases.police import ConfirmVerification
from services.cases.rules import load_rules

HOLD_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOW = HOLD_AT + timedelta(minutes=10)
RULES = load_rules()

HOLD = {
    "withdrawal_id": "wd_1",
    "account_id": "acc_1",
    "customer_id": "cus_1",
    "amount": "80000.00",
    "currency": "CNY",
    "channel": "counter_cash",
    "purpose": "investment",
    "branch_id": "br-1",
    "appointment_id": "apt_1",
    "reasons": ["RISKY_PURPOSE", "ELDERLY_LARGE_CASH"],
    "decision": {"rules_version": "w-1", "inputs": {}, "verdicts": []},
    "customer": {"name_initial": "王*", "id_number_masked": "3401**********1234", "age": 68},
}
REFERRAL = {
    "account_id": "acc_2",
    "customer_id": "cus_2",
    "flags": ["EMPLOYMENT_PROOF_UNSIGNED"],
    "opened_by": "t-042",
    "customer_name_initial": "李*",
}


def given(events) -> Case:
    return CASE.fold(events)


def opened(case_type: str = POLICE_VERIFICATION) -> list:
    if case_type == POLICE_VERIFICATION:
        command = opening.from_withdrawal_held("evt_hold", HOLD_AT, HOLD, RULES)
    elif case_type == "due_diligence_review":
        command = opening.from_account_opening_referred("evt_ref", HOLD_AT, REFERRAL, RULES)
    else:
        command = opening.suspicious_account("case_s", "acc_3", "odd inflows", HOLD_AT, RULES)
    return decisions.decide_open(Case(), command, HOLD_AT)


def then(history: list, decide, command) -> list:
    """The events `decide` adds to `history`, which it also returns extended."""
    new = decide(given(history), command, NOW)
    history.extend(new)
    return new


def at_stage(stage: str, case_type: str = POLICE_VERIFICATION) -> list:
    """The history of a case brought to `stage` the ordinary way."""
    history = opened(case_type)
    if stage == "open":
        return history
    then(history, decisions.decide_claim, decisions.Claim(by="i-007"))
    if stage == "in_progress":
        return history
    if stage == "awaiting_police":
        request = decisions.RequestVerification("ver_1", "PSB-HF-001", "please")
        then(history, decisions.decide_request_verification, request)
        return history
    outcome = {"police_verification": "customer_cancelled"}.get(case_type, "no_action")
    if case_type == "due_diligence_review":
        outcome = "approved"
    then(history, decisions.decide_resolve, decisions.Resolve(outcome, "done", by="i-007"))
    if stage == "resolved":
        return history
    then(history, decisions.decide_close, decisions.Close("filed"))
    return history


def confirm(outcome="fraud_victim", unit="PSB-HF-001", verification_id="ver_1"):
    return ConfirmVerification(verification_id, unit, outcome, "HF-1", "Officer Li", "n", "p-001")
