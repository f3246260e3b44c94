"""Given a case at a stage, when an action, then its events, or a refusal for an illegal one."""

from datetime import timedelta

import pytest
from cases_given import NOW, at_stage, confirm, given, opened, then

from services.cases import decisions
from services.cases.domain import (
    AWAITING_POLICE,
    CLOSED,
    IN_PROGRESS,
    OPEN,
    RESOLVED,
    STATUSES,
    SUPERVISORS,
    Case,
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
)
from services.cases.police import decide_confirm

# action: (decide, command, the stages where it is legal, the event type it records)
ACTIONS = {
    "claim": (decisions.decide_claim, decisions.Claim("i-008"), {OPEN}, "CaseAssigned"),
    "assign": (
        decisions.decide_assign,
        decisions.Assign("i-009", "s-001"),
        {OPEN, IN_PROGRESS, AWAITING_POLICE},
        "CaseAssigned",
    ),
    "note": (
        decisions.decide_add_note,
        decisions.AddNote("called the branch"),
        {OPEN, IN_PROGRESS, AWAITING_POLICE, RESOLVED},
        "CaseNoteAdded",
    ),
    "contact": (
        decisions.decide_record_contact,
        decisions.RecordContact("phone", "reached", "spoke to her"),
        {IN_PROGRESS, AWAITING_POLICE},
        "CustomerContactRecorded",
    ),
    "verification": (
        decisions.decide_request_verification,
        decisions.RequestVerification("ver_2", "PSB-HF-002", "please"),
        {IN_PROGRESS},
        "PoliceVerificationRequested",
    ),
    "escalate": (
        decisions.decide_escalate,
        decisions.Escalate("customer is agitated"),
        {OPEN, IN_PROGRESS, AWAITING_POLICE},
        "CaseEscalated",
    ),
    "restriction": (
        decisions.decide_request_restriction,
        decisions.RequestRestriction("non_counter_suspended", "victim", None, "i-007"),
        {IN_PROGRESS, AWAITING_POLICE},
        "AccountRestrictionRequested",
    ),
    "resolve": (
        decisions.decide_resolve,
        decisions.Resolve("customer_cancelled", "went home", "i-007"),
        {IN_PROGRESS, AWAITING_POLICE},
        "CaseResolved",
    ),
    "close": (decisions.decide_close, decisions.Close("filed"), {RESOLVED}, "CaseClosed"),
    "reopen": (
        decisions.decide_reopen,
        decisions.Reopen("new facts"),
        {RESOLVED, CLOSED},
        "CaseReopened",
    ),
}


@pytest.mark.parametrize("stage", STATUSES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_is_recorded_where_legal_and_refused_409_everywhere_else(action, stage):
    decide, command, legal, event_type = ACTIONS[action]
    state = given(at_stage(stage))
    assert state.status == stage
    if stage in legal:
        events = decide(state, command, NOW)
        assert events[0].type == event_type
        assert events[0].data["case_id"] == state.id
    else:
        with pytest.raises(CaseConflict):
            decide(state, command, NOW)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_no_action_applies_to_a_case_that_does_not_exist(action):
    decide, command, _, _ = ACTIONS[action]
    with pytest.raises(CaseNotFound):
        decide(Case(), command, NOW)


@pytest.mark.parametrize(
    ("action", "stage", "status"),
    [
        ("claim", OPEN, IN_PROGRESS),
        ("assign", OPEN, IN_PROGRESS),
        ("assign", AWAITING_POLICE, AWAITING_POLICE),
        ("verification", IN_PROGRESS, AWAITING_POLICE),
        ("resolve", AWAITING_POLICE, RESOLVED),
        ("close", RESOLVED, CLOSED),
        ("reopen", RESOLVED, IN_PROGRESS),
        ("reopen", CLOSED, IN_PROGRESS),
        ("note", IN_PROGRESS, IN_PROGRESS),
    ],
)
def test_each_transition_moves_the_status_as_the_lifecycle_says(action, stage, status):
    decide, command, _, _ = ACTIONS[action]
    history = at_stage(stage)
    then(history, decide, command)
    assert given(history).status == status


def test_claiming_a_case_you_already_hold_is_409():
    with pytest.raises(CaseConflict, match="already claimed"):
        decisions.decide_claim(given(at_stage(IN_PROGRESS)), decisions.Claim("i-007"), NOW)


def test_assigning_to_the_current_assignee_is_409():
    with pytest.raises(CaseConflict):
        decisions.decide_assign(
            given(at_stage(IN_PROGRESS)), decisions.Assign("i-007", "s-001"), NOW
        )


def test_assignment_records_who_assigned_whom():
    (event,) = decisions.decide_assign(
        given(at_stage(OPEN)), decisions.Assign("i-009", "s-001"), NOW
    )
    assert event.data == {
        "case_id": event.data["case_id"],
        "assignee": "i-009",
        "assigned_by": "s-001",
    }


@pytest.mark.parametrize("case_type", ["due_diligence_review", "suspicious_account"])
def test_only_police_verification_cases_go_to_the_police(case_type):
    state = given(at_stage(IN_PROGRESS, case_type))
    with pytest.raises(CaseConflict, match="does not go to police"):
        decisions.decide_request_verification(
            state, decisions.RequestVerification("ver_9", "PSB-HF-001", "x"), NOW
        )


OUTCOMES = ["approved", "refused", "customer_cancelled", "no_action", "restriction_requested"]
ALLOWED = {
    "due_diligence_review": {"approved", "refused"},
    "police_verification": {"customer_cancelled"},
    "suspicious_account": {"no_action", "restriction_requested"},
}


@pytest.mark.parametrize("outcome", OUTCOMES + ["cleared", "fraud_victim", "banana"])
@pytest.mark.parametrize("case_type", sorted(ALLOWED))
def test_resolution_outcomes_are_those_of_the_case_type_else_422(case_type, outcome):
    history = at_stage(IN_PROGRESS, case_type)
    if outcome == "restriction_requested":
        restrict = decisions.RequestRestriction("freeze", "mule", None, "i-007")
        then(history, decisions.decide_request_restriction, restrict)
    command = decisions.Resolve(outcome, "because", "i-007")
    if outcome in ALLOWED[case_type]:
        (event,) = decisions.decide_resolve(given(history), command, NOW)
        assert (event.type, event.data["outcome"], event.data["case_type"]) == (
            "CaseResolved",
            outcome,
            case_type,
        )
    else:
        with pytest.raises(CaseInvalid) as refused:
            decisions.decide_resolve(given(history), command, NOW)
        assert "outcome" in refused.value.errors


def test_the_resolution_carries_the_contract_fields():
    (event,) = decisions.decide_resolve(
        given(at_stage(IN_PROGRESS)), decisions.Resolve("customer_cancelled", "home", "i-7"), NOW
    )
    assert set(event.data) == {
        "case_id",
        "case_type",
        "account_id",
        "withdrawal_id",
        "outcome",
        "reason",
        "resolved_by",
    }
    assert (event.data["account_id"], event.data["withdrawal_id"]) == ("acc_1", "wd_1")


def test_four_eyes_whoever_opened_the_account_may_not_review_it():
    history = at_stage(IN_PROGRESS, "due_diligence_review")
    with pytest.raises(CaseForbidden):
        decisions.decide_resolve(given(history), decisions.Resolve("approved", "ok", "t-042"), NOW)
    (event,) = decisions.decide_resolve(
        given(history), decisions.Resolve("approved", "ok", "i-007"), NOW
    )
    assert event.data["resolved_by"] == "i-007"


def test_resolving_with_a_restriction_needs_a_restriction_requested_first():
    state = given(at_stage(IN_PROGRESS, "suspicious_account"))
    with pytest.raises(CaseConflict, match="Request a restriction"):
        decisions.decide_resolve(
            state, decisions.Resolve("restriction_requested", "mule", "i-007"), NOW
        )


def test_a_restriction_request_names_the_account_the_requester_and_the_expiry():
    expires = NOW + timedelta(days=30)
    command = decisions.RequestRestriction("non_counter_suspended", "victim", expires, "i-007")
    (event,) = decisions.decide_request_restriction(given(at_stage(IN_PROGRESS)), command, NOW)
    assert event.data == {
        "case_id": event.data["case_id"],
        "account_id": "acc_1",
        "type": "non_counter_suspended",
        "reason": "victim",
        "expires_at": "2026-04-01T01:10:00.000000Z",
        "requested_by": "i-007",
    }


def test_a_restriction_expiring_in_the_past_is_422():
    command = decisions.RequestRestriction("freeze", "x", NOW - timedelta(seconds=1), "i-007")
    with pytest.raises(CaseInvalid) as refused:
        decisions.decide_request_restriction(given(at_stage(IN_PROGRESS)), command, NOW)
    assert refused.value.errors == {"expires_at": ["Must be in the future."]}


def test_escalation_and_breach_move_the_case_to_the_supervisors_queue():
    history = at_stage(IN_PROGRESS)
    assert given(history).queue == "investigators"
    then(history, decisions.decide_escalate, decisions.Escalate("odd"))
    assert given(history).queue == SUPERVISORS


def test_a_reopened_case_may_go_to_the_police_again():
    history = at_stage(AWAITING_POLICE)
    then(history, decide_confirm, confirm("cleared"))
    then(history, decisions.decide_reopen, decisions.Reopen("customer back with a new story"))
    again = decisions.RequestVerification("ver_2", "PSB-HF-001", "second look")
    (event,) = then(history, decisions.decide_request_verification, again)
    assert event.type == "PoliceVerificationRequested"
    assert [v.id for v in given(history).verifications] == ["ver_1", "ver_2"]


def test_a_second_verification_while_one_is_pending_is_409():
    with pytest.raises(CaseConflict, match="still pending"):
        decisions.decide_request_verification(
            given(at_stage(AWAITING_POLICE)),
            decisions.RequestVerification("ver_2", "PSB-HF-002", "x"),
            NOW,
        )


def test_a_cancelled_withdrawal_resolves_its_open_case_as_the_system():
    for stage in (OPEN, IN_PROGRESS, AWAITING_POLICE):
        (event,) = decisions.decide_withdrawal_cancelled(given(at_stage(stage)), "gone", "warden")
        assert (event.type, event.data["outcome"], event.data["resolved_by"]) == (
            "CaseResolved",
            "customer_cancelled",
            "warden",
        )


def test_a_cancelled_withdrawal_changes_nothing_on_a_settled_or_unknown_case():
    for stage in (RESOLVED, CLOSED):
        assert decisions.decide_withdrawal_cancelled(given(at_stage(stage)), "gone", "w") == []
    assert decisions.decide_withdrawal_cancelled(Case(), "gone", "w") == []


def test_opening_an_existing_case_decides_nothing():
    history = opened()
    assert len(history) == 2
    command = decisions.OpenCase(
        "case_evt_hold", "police_verification", "acc_1", None, None, None, "x", {}, None
    )
    assert decisions.decide_open(given(history), command, NOW) == []
