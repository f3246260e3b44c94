"""Accounts cases has heard of, and accounts' refusals recorded on the case: each once."""

from cases_given import at_stage, given

from services.cases import decisions
from services.cases.known_accounts import (
    ACCOUNT_VIEW,
    KnownAccount,
    account_facts,
    decide_account_facts,
)
from shared.envelope import NewEvent

SOURCE = {"event_type": "AccountOpened", "event_id": "evt_1"}


def learn(history: list, event_type: str, data: dict) -> list:
    view = ACCOUNT_VIEW.fold(history)
    new = decide_account_facts(view, "acc_1", SOURCE, account_facts(view, event_type, data))
    history.extend(new)
    return new


def test_an_account_is_known_once_accounts_told_of_it_and_each_fact_is_recorded_once():
    history: list[NewEvent] = []
    assert not ACCOUNT_VIEW.fold(history).known
    opened = {"account_id": "acc_1", "customer_id": "cus_1", "status": "active"}
    (fact,) = learn(history, "AccountOpened", opened)
    assert fact.data["facts"] == {"customer_id": "cus_1", "status": "active"}
    assert learn(history, "AccountOpened", opened) == []
    assert ACCOUNT_VIEW.fold(history) == KnownAccount("acc_1", "cus_1", "active")


def test_a_closed_or_refused_account_stays_so_whatever_arrives_late():
    for final, event_type in (("closed", "AccountClosed"), ("refused", "AccountOpeningRefused")):
        history: list[NewEvent] = []
        learn(history, event_type, {"account_id": "acc_1", "customer_id": "cus_1"})
        late = {"account_id": "acc_1", "customer_id": "cus_1", "risk_tier": "MEDIUM"}
        assert learn(history, "AccountActivated", late) == []
        assert ACCOUNT_VIEW.fold(history).status == final


def refusal(request_event_id: str = "evt_req") -> decisions.RecordRestrictionRefusal:
    return decisions.RecordRestrictionRefusal(
        request_event_id, "evt_ref", "acc_3", "freeze", "ACCOUNT_UNKNOWN", "No such account."
    )


def test_a_refusal_is_recorded_on_the_case_in_any_status_once_per_request():
    for stage in ("in_progress", "resolved", "closed"):
        history = at_stage(stage, "suspicious_account")
        (recorded,) = decisions.decide_record_refusal(given(history), refusal())
        assert recorded.type == "RestrictionRefusalRecorded"
        assert recorded.data["reason_code"] == "ACCOUNT_UNKNOWN"
        history.append(recorded)
        assert decisions.decide_record_refusal(given(history), refusal()) == []
        assert len(decisions.decide_record_refusal(given(history), refusal("evt_2"))) == 1


def test_a_refusal_for_a_case_that_does_not_exist_decides_nothing():
    assert decisions.decide_record_refusal(given([]), refusal()) == []
