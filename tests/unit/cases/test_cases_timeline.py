"""The timeline tells each event as a sentence, with who did it and when."""

from datetime import UTC, datetime

from cases_given import at_stage, confirm, given, then

from services.cases import decisions
from services.cases.police import decide_confirm
from services.cases.timeline import timeline
from shared.envelope import Actor, Context, StoredEvent

WHEN = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def stored(events, subs):
    """Decided events as the store would hand them back, each with its actor."""
    result = []
    for number, (event, (role, sub)) in enumerate(zip(events, subs, strict=True), start=1):
        meta = Context(Actor(role, sub), WHEN, "corr").metadata("case")
        result.append(
            StoredEvent(
                number, "case_1", number, event.type, 1, event.data, meta, f"e{number}", WHEN, ""
            )
        )
    return result


def test_each_event_becomes_one_entry_with_a_human_sentence():
    history = at_stage("awaiting_police")
    then(history, decide_confirm, confirm("fraud_victim"))
    then(history, decisions.decide_close, decisions.Close("filed"))
    subs = [
        ("system", "warden"),
        ("system", "warden"),
        ("investigator", "i-007"),
        ("investigator", "i-007"),
        ("police_liaison", "p-001"),
        ("police_liaison", "p-001"),
        ("supervisor", "s-001"),
    ]
    entries = timeline(stored(history, subs))
    assert [entry["event_type"] for entry in entries] == [event.type for event in history]
    actions = [entry["action"] for entry in entries]
    assert actions[0].startswith("warden opened a police_verification case: Withdrawal wd_1")
    assert actions[2] == "i-007 claimed the case"
    assert actions[3] == "i-007 requested police verification from PSB-HF-001"
    assert actions[4] == (
        "p-001 of PSB-HF-001 confirmed verification ver_1: fraud_victim "
        "(reference HF-1, officer Officer Li)"
    )
    assert actions[6] == "s-001 closed the case: filed"
    assert entries[2]["actor"] == {"role": "investigator", "sub": "i-007"}
    assert entries[2]["at"] == "2026-03-02T01:30:00.000000Z"


def test_a_contact_says_how_the_customer_was_reached_and_what_came_of_it():
    history = at_stage("in_progress")
    contact = decisions.RecordContact("in_person", "customer_insists", "wants the cash")
    then(history, decisions.decide_record_contact, contact)
    subs = [("system", "warden")] * 2 + [("investigator", "i-007")] * 2
    assert timeline(stored(history, subs))[-1]["action"] == (
        "i-007 recorded an in-person talk with the customer (customer insists): wants the cash"
    )


def test_an_assignment_by_someone_else_says_who_assigned_whom():
    history = at_stage("open")
    then(history, decisions.decide_assign, decisions.Assign("i-009", "s-001"))
    subs = [("system", "warden")] * 2 + [("supervisor", "s-001")]
    assert timeline(stored(history, subs))[-1]["action"] == "s-001 assigned the case to i-009"


def test_a_refusal_from_accounts_is_told_with_accounts_own_reason():
    history = at_stage("in_progress", "suspicious_account")
    request = decisions.RequestRestriction("freeze", "mule", None, by="i-007")
    then(history, decisions.decide_request_restriction, request)
    refusal = decisions.RecordRestrictionRefusal(
        "evt_req", "evt_ref", "acc_3", "freeze", "ACCOUNT_CLOSED", "A closed account cannot be."
    )
    history.extend(decisions.decide_record_refusal(given(history), refusal))
    subs = [("system", "warden")] * 2 + [("investigator", "i-007")] * 2 + [("system", "warden")]
    entry = timeline(stored(history, subs))[-1]
    assert entry["action"] == (
        "Accounts refused the restriction (freeze) on account acc_3: A closed account cannot be."
    )
    assert entry["sentence"]["parts"]["refusal"] == "ACCOUNT_CLOSED"  # words on a page
