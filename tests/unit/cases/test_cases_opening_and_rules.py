"""Cases open from their source events with the contract's fields; SLAs come from the rules file."""

from datetime import timedelta

import pytest
from cases_given import HOLD, HOLD_AT, REFERRAL, RULES, given

from services.cases import opening
from services.cases.decisions import decide_open
from services.cases.domain import Case
from services.cases.rules import PACKAGED_RULES, load_rules, parse_rules

CASE_OPENED_FIELDS = {
    "case_id",
    "case_type",
    "account_id",
    "customer_id",
    "withdrawal_id",
    "source_event_id",
    "sla_due_at",
    "summary",
}


def test_a_hold_opens_a_police_verification_case_with_exactly_the_published_fields():
    command = opening.from_withdrawal_held("01HOLD", HOLD_AT, HOLD, RULES)
    opened, facts = decide_open(Case(), command, HOLD_AT)
    assert opened.type == "CaseOpened"
    assert set(opened.data) == CASE_OPENED_FIELDS
    assert opened.data["case_id"] == "case_01HOLD"
    assert opened.data["source_event_id"] == "01HOLD"
    assert (opened.data["withdrawal_id"], opened.data["customer_id"]) == ("wd_1", "cus_1")
    assert opened.data["sla_due_at"] == "2026-03-02T03:00:00.000000Z"
    assert "ELDERLY_LARGE_CASH" in opened.data["summary"]
    assert facts.type == "CaseFactsRecorded"
    details = facts.data["details"]
    assert details["customer"] == HOLD["customer"]
    assert details["reasons"] == ["RISKY_PURPOSE", "ELDERLY_LARGE_CASH"]
    assert (details["amount"], details["channel"]) == ("80000.00", "counter_cash")
    assert details["decision"] == HOLD["decision"]
    assert facts.data["source"] == {
        "event_type": "WithdrawalHeld",
        "event_id": "01HOLD",
        "occurred_at": "2026-03-02T01:00:00.000000Z",
    }
    assert facts.data["sla"]["rules_version"] == RULES.version


def test_a_referral_opens_a_due_diligence_review_that_remembers_who_opened_the_account():
    command = opening.from_account_opening_referred("01REF", HOLD_AT, REFERRAL, RULES)
    events = decide_open(Case(), command, HOLD_AT)
    state = given(events)
    assert (state.id, state.case_type, state.status) == (
        "case_01REF",
        "due_diligence_review",
        "open",
    )
    assert state.opened_by == "t-042"
    assert events[1].data["details"]["flags"] == ["EMPLOYMENT_PROOF_UNSIGNED"]
    assert events[0].data["withdrawal_id"] is None


def test_the_same_source_event_always_names_the_same_case():
    first = opening.from_withdrawal_held("01SAME", HOLD_AT, HOLD, RULES)
    again = opening.from_withdrawal_held("01SAME", HOLD_AT + timedelta(hours=1), HOLD, RULES)
    assert first.case_id == again.case_id == "case_01SAME"
    assert decide_open(given(decide_open(Case(), first, HOLD_AT)), again, HOLD_AT) == []


def test_the_packaged_rules_give_the_contracts_numbers():
    rules = load_rules()
    assert rules.sla["police_verification"] == timedelta(minutes=120)
    assert rules.sla["due_diligence_review"] == timedelta(hours=24)
    assert rules.sla["suspicious_account"] == timedelta(hours=72)
    assert rules.warning_fraction == 0.75
    assert load_rules(str(PACKAGED_RULES)) == rules


def test_a_rules_file_elsewhere_changes_the_due_times(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        'version = "test-1"\nwarning_at_percent = 50\n[sla_minutes]\n'
        "police_verification = 60\ndue_diligence_review = 10\nsuspicious_account = 10\n"
    )
    rules = load_rules(str(path))
    plan = rules.plan("police_verification", HOLD_AT)
    assert (plan.rules_version, plan.warning_at, plan.due_at) == (
        "test-1",
        HOLD_AT + timedelta(minutes=30),
        HOLD_AT + timedelta(minutes=60),
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"warning_at_percent": 75, "sla_minutes": {}},
        {"version": "v", "warning_at_percent": 0, "sla_minutes": {}},
        {
            "version": "v",
            "warning_at_percent": 75,
            "sla_minutes": {"police_verification": 120, "due_diligence_review": 0},
        },
    ],
)
def test_a_rules_file_missing_a_number_or_with_nonsense_is_refused(raw):
    with pytest.raises(ValueError, match="cases rules"):
        parse_rules(raw)
