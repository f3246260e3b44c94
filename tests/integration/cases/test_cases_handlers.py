"""Events from withdrawals and accounts open and settle cases; one case per source event, always."""

from cases_support import (
    INVESTIGATOR,
    account_opening_referred,
    case_events,
    count_events,
    deliver,
    withdrawal_cancelled,
    withdrawal_held,
)
from sqlalchemy import func, select

from services.cases.handlers import on_withdrawal_held
from services.cases.opening import case_id_for
from services.cases.projections import cases
from shared.codec import dumpb
from shared.consumer import Verdict
from shared.db import read_transaction, write_transaction
from shared.envelope import Envelope


def case_rows(engine) -> int:
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(cases)).scalar_one()


def test_a_hold_delivered_three_times_opens_one_case(engine):
    held = withdrawal_held()
    verdicts = [deliver(engine, "withdrawals", held, attempt).verdict for attempt in (1, 2, 3)]
    assert verdicts == [Verdict.ACK, Verdict.DUPLICATE, Verdict.DUPLICATE]
    assert count_events(engine, "CaseOpened") == 1
    assert case_rows(engine) == 1


def test_even_past_the_inbox_a_source_event_cannot_open_a_second_case(engine):
    """The deterministic case id is the guarantee; the inbox only saves the work."""
    envelope = Envelope.parse(dumpb(withdrawal_held()))
    handle = on_withdrawal_held()
    for _ in range(2):
        with write_transaction(engine) as conn:
            handle(conn, envelope)
    assert count_events(engine, "CaseOpened") == 1
    assert case_rows(engine) == 1


def test_the_case_follows_the_holds_story_and_is_caused_by_it(engine):
    held = withdrawal_held(correlation_id="corr-42")
    deliver(engine, "withdrawals", held)
    opened, facts = case_events(engine, case_id_for(held["event_id"]))
    for event in (opened, facts):
        assert event.metadata["correlation_id"] == "corr-42"
        assert event.metadata["causation_id"] == held["event_id"]
        assert event.metadata["actor"] == {"role": "system", "sub": "warden"}
    assert opened.data == {
        "case_id": case_id_for(held["event_id"]),
        "case_type": "police_verification",
        "account_id": "acc_01",
        "customer_id": "cus_01",
        "withdrawal_id": "wd_01",
        "source_event_id": held["event_id"],
        "sla_due_at": "2026-03-02T03:00:00.000000Z",
        "summary": opened.data["summary"],
    }
    assert facts.data["details"]["customer"]["name_initial"] == "王*"


def test_a_referred_opening_opens_a_due_diligence_review(client, engine):
    referred = account_opening_referred()
    deliver(engine, "accounts", referred)
    case = client.get(f"/v1/cases/{case_id_for(referred['event_id'])}", headers=INVESTIGATOR)
    body = case.get_json()
    assert (body["case_type"], body["account_id"], body["customer_id"]) == (
        "due_diligence_review",
        "acc_02",
        "cus_02",
    )
    assert body["details"]["opened_by"] == "t-042"
    assert body["details"]["flags"] == ["EMPLOYMENT_PROOF_UNSIGNED"]
    assert body["sla_due_at"] == "2026-03-03T01:00:00.000000Z"


def test_a_withdrawal_cancelled_at_the_counter_resolves_its_open_case(client, engine):
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    case_id = case_id_for(held["event_id"])
    deliver(engine, "withdrawals", withdrawal_cancelled(case_id))
    resolved = case_events(engine, case_id)[-1]
    assert resolved.type == "CaseResolved"
    assert resolved.data["outcome"] == "customer_cancelled"
    assert resolved.data["reason"] == "The withdrawal was cancelled at the counter."
    assert resolved.data["resolved_by"] == "warden"
    assert resolved.metadata["actor"] == {"role": "system", "sub": "warden"}
    deliver(engine, "withdrawals", withdrawal_cancelled(case_id))  # another cancellation event
    assert count_events(engine, "CaseResolved") == 1


def test_a_cancellation_without_a_case_or_of_an_unknown_case_does_nothing(engine):
    assert deliver(engine, "withdrawals", withdrawal_cancelled(None)).verdict == Verdict.ACK
    assert deliver(engine, "withdrawals", withdrawal_cancelled("case_x")).verdict == Verdict.ACK
    assert count_events(engine, "CaseResolved") == 0
    assert case_events(engine, "case_x") == []
