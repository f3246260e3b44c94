"""Police-bank verification: a confirmation settles the case once; views are recorded per unit."""

import pytest
from cases_given import NOW, at_stage, confirm, given, then

from services.cases import decisions
from services.cases.domain import AWAITING_POLICE, IN_PROGRESS, CaseConflict, CaseNotFound
from services.cases.police import RecordPoliceView, decide_confirm, decide_record_view


@pytest.mark.parametrize("outcome", ["cleared", "fraud_victim", "fraud_suspect"])
def test_a_confirmation_records_the_police_answer_and_resolves_the_case_with_it(outcome):
    history = at_stage(AWAITING_POLICE)
    confirmed, resolved = then(history, decide_confirm, confirm(outcome))
    assert confirmed.type == "PoliceVerificationConfirmed"
    assert confirmed.data == {
        "case_id": "case_evt_hold",
        "verification_id": "ver_1",
        "account_id": "acc_1",
        "withdrawal_id": "wd_1",
        "outcome": outcome,
        "police_reference": "HF-1",
        "officer": "Officer Li",
        "notes": "n",
    }
    assert (resolved.type, resolved.data["outcome"], resolved.data["resolved_by"]) == (
        "CaseResolved",
        outcome,
        "p-001",
    )
    state = given(history)
    assert state.status == "resolved"
    assert (state.verifications[0].status, state.verifications[0].outcome) == (
        "confirmed",
        outcome,
    )


def test_a_second_confirmation_is_409():
    history = at_stage(AWAITING_POLICE)
    then(history, decide_confirm, confirm("cleared"))
    with pytest.raises(CaseConflict, match="already confirmed"):
        decide_confirm(given(history), confirm("fraud_victim"), NOW)


def test_a_confirmation_after_reopening_is_still_409_for_the_answered_request():
    history = at_stage(AWAITING_POLICE)
    then(history, decide_confirm, confirm("cleared"))
    then(history, decisions.decide_reopen, decisions.Reopen("new facts"))
    with pytest.raises(CaseConflict):
        decide_confirm(given(history), confirm("fraud_victim"), NOW)


def test_a_request_withdrawn_by_the_customer_cancelling_cannot_be_confirmed():
    history = at_stage(AWAITING_POLICE)
    then(history, decisions.decide_resolve, decisions.Resolve("customer_cancelled", "x", "i-7"))
    assert given(history).verifications[0].status == "withdrawn"
    with pytest.raises(CaseConflict, match="withdrawn"):
        decide_confirm(given(history), confirm(), NOW)


@pytest.mark.parametrize(
    ("unit", "verification_id"), [("PSB-HF-002", "ver_1"), ("PSB-HF-001", "ver_x")]
)
def test_another_units_request_is_as_unknown_as_a_missing_one(unit, verification_id):
    state = given(at_stage(AWAITING_POLICE))
    with pytest.raises(CaseNotFound):
        decide_confirm(state, confirm(unit=unit, verification_id=verification_id), NOW)
    with pytest.raises(CaseNotFound):
        decide_record_view(state, RecordPoliceView(verification_id, unit, "p-002"), NOW)


def test_confirming_on_a_case_never_sent_to_the_police_is_404():
    with pytest.raises(CaseNotFound):
        decide_confirm(given(at_stage(IN_PROGRESS)), confirm(), NOW)


@pytest.mark.parametrize("settled", [False, True])
def test_every_view_by_the_addressed_unit_is_recorded_whatever_the_status(settled):
    history = at_stage(AWAITING_POLICE)
    if settled:
        then(history, decide_confirm, confirm())
    (event,) = decide_record_view(
        given(history), RecordPoliceView("ver_1", "PSB-HF-001", "p-001"), NOW
    )
    assert (event.type, event.data) == (
        "CaseViewedByPolice",
        {
            "case_id": "case_evt_hold",
            "verification_id": "ver_1",
            "police_unit": "PSB-HF-001",
            "viewer": "p-001",
        },
    )
    assert given([*history, event]) == given(history)  # a view changes nothing else
