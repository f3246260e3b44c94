"""Cases opens a suspicious_account case only on an account accounts told it of, and a
restriction accounts could not impose comes back onto the case, once, where people see it."""

import re
from types import SimpleNamespace

from cases_support import (
    AUDITOR,
    INVESTIGATOR,
    account_closed,
    account_opened,
    account_opening_referred,
    case_events,
    count_events,
    deliver,
    known_account,
    make_app,
    restriction_refused,
)
from page_support import page_sign_in
from sqlalchemy import func, select

from services.cases.handlers import subscriptions
from shared import eventstore
from shared.codec import dumpb
from shared.consumer import Verdict
from shared.db import read_transaction, write_transaction
from shared.envelope import Envelope
from shared.ports import free_port
from shared.schema import events

SUSPICION = {"case_type": "suspicious_account", "account_id": "acc_9", "summary": "Mule pattern"}


def all_events(engine) -> int:
    with read_transaction(engine) as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


def view_events(engine, account_id: str = "acc_9") -> list:
    """What cases recorded of the account in its own log (known_accounts.account_view_id)."""
    with read_transaction(engine) as conn:
        return eventstore.read_stream(conn, f"acctview-{account_id}")


def twice_past_the_inbox(engine, message: dict) -> None:
    """The handler run twice on one message: what a pruned inbox or a retried letter does."""
    handle = subscriptions()["accounts"][message["type"]]
    envelope = Envelope.parse(dumpb(message))
    for _ in range(2):
        with write_transaction(engine) as conn:
            handle(conn, envelope)


def open_and_request_a_freeze(client, engine) -> tuple[str, object]:
    known_account(engine)
    case_id = client.post("/v1/cases", json=SUSPICION, headers=INVESTIGATOR).get_json()["id"]
    client.post(f"/v1/cases/{case_id}/claim", json={}, headers=INVESTIGATOR)
    body = {"type": "freeze", "reason": "mule account"}
    answer = client.post(
        f"/v1/cases/{case_id}/restriction-requests", json=body, headers=INVESTIGATOR
    )
    assert answer.status_code == 200, answer.get_json()
    return case_id, case_events(engine, case_id)[-1]


def test_a_case_on_an_account_never_heard_of_is_a_404_problem_and_records_nothing(client, engine):
    before = all_events(engine)
    response = client.post("/v1/cases", json=SUSPICION, headers=INVESTIGATOR)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert (problem["status"], problem["title"]) == (404, "Not Found")
    assert problem["detail"] == "Account acc_9 is not known here yet."
    assert all_events(engine) == before
    assert count_events(engine, "CaseOpened") == 0
    assert client.get("/v1/cases", headers=AUDITOR).get_json()["items"] == []


def test_the_same_request_retried_once_accounts_told_of_the_account_opens_the_case(client, engine):
    """A 404 is "not heard of yet": it is not kept under the key, so the retry is answered anew."""
    headers = {**INVESTIGATOR, "Idempotency-Key": "suspicion-1"}
    assert client.post("/v1/cases", json=SUSPICION, headers=headers).status_code == 404
    known_account(engine, "acc_9", "cus_09")
    response = client.post("/v1/cases", json=SUSPICION, headers=headers)
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert (case["account_id"], case["customer_id"]) == ("acc_9", "cus_09")
    again = client.post("/v1/cases", json=SUSPICION, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == case["id"]
    assert count_events(engine, "CaseOpened") == 1


def test_every_account_event_is_a_fact_in_cases_own_log_recorded_once(client, engine):
    opened = account_opened("acc_9", "cus_09")
    assert deliver(engine, "accounts", opened).verdict is Verdict.ACK
    assert deliver(engine, "accounts", opened).verdict is Verdict.DUPLICATE
    twice_past_the_inbox(engine, opened)
    deliver(engine, "accounts", account_closed("acc_9", "cus_09"))
    late = account_opened("acc_9", "cus_09")  # a redelivery that lost its place in the stream
    deliver(engine, "accounts", late)
    facts = view_events(engine)
    assert [event.type for event in facts] == ["AccountFactsRecorded"] * 2
    assert facts[0].data == {
        "account_id": "acc_9",
        "source": {"event_type": "AccountOpened", "event_id": opened["event_id"]},
        "facts": {"customer_id": "cus_09", "status": "active"},
    }
    assert facts[1].data["facts"] == {"status": "closed"}
    assert facts[0].metadata["causation_id"] == opened["event_id"]
    # Heard of is heard of: an investigator may still look into a closed account.
    assert client.post("/v1/cases", json=SUSPICION, headers=INVESTIGATOR).status_code == 201


def test_a_referred_opening_makes_the_account_known_as_well_as_opening_its_review(engine):
    deliver(engine, "accounts", account_opening_referred(account_id="acc_02"))
    (fact,) = view_events(engine, "acc_02")
    assert fact.data["facts"] == {"customer_id": "cus_02", "status": "pending_review"}
    assert count_events(engine, "CaseOpened") == 1


def test_a_restriction_accounts_refused_is_on_the_case_and_in_its_timeline(client, engine):
    case_id, request = open_and_request_a_freeze(client, engine)
    refusal = restriction_refused(request, "ACCOUNT_CLOSED", correlation_id="corr-case")
    assert deliver(engine, "accounts", refusal).verdict is Verdict.ACK
    recorded = case_events(engine, case_id)[-1]
    assert recorded.type == "RestrictionRefusalRecorded"
    assert recorded.data == {
        "case_id": case_id,
        "request_event_id": request.event_id,
        "refusal_event_id": refusal["event_id"],
        "account_id": "acc_9",
        "type": "freeze",
        "reason_code": "ACCOUNT_CLOSED",
        "reason": "A closed account cannot be restricted.",
    }
    assert recorded.metadata["causation_id"] == refusal["event_id"]
    case = client.get(f"/v1/cases/{case_id}", headers=AUDITOR).get_json()
    entry = case["timeline"][-1]
    assert entry["event_type"] == "RestrictionRefusalRecorded"
    assert entry["action"] == (
        "Accounts refused the restriction (freeze) on account acc_9: "
        "A closed account cannot be restricted."
    )
    assert entry["actor"] == {"role": "system", "sub": "warden"}
    assert case["updated_at"] == recorded.metadata["occurred_at"]


def test_the_same_refusal_delivered_again_is_recorded_once(client, engine):
    case_id, request = open_and_request_a_freeze(client, engine)
    refusal = restriction_refused(request, "ACCOUNT_UNKNOWN")
    assert deliver(engine, "accounts", refusal).verdict is Verdict.ACK
    assert deliver(engine, "accounts", refusal).verdict is Verdict.DUPLICATE
    twice_past_the_inbox(engine, refusal)
    republished = restriction_refused(request, "ACCOUNT_UNKNOWN")  # same request, new event id
    assert deliver(engine, "accounts", republished).verdict is Verdict.ACK
    assert count_events(engine, "RestrictionRefusalRecorded") == 1
    types = [event.type for event in case_events(engine, case_id)]
    assert types.count("RestrictionRefusalRecorded") == 1


def test_a_refusal_naming_a_case_this_service_does_not_have_is_acknowledged_not_parked(engine):
    known_account(engine)
    before = all_events(engine)
    request = SimpleNamespace(
        event_id="01REQUESTNOBODYMADE0000000",
        data={"account_id": "acc_9", "case_id": "case_nope", "type": "freeze", "requested_by": "i"},
    )
    assert deliver(engine, "accounts", restriction_refused(request)).verdict is Verdict.ACK
    assert all_events(engine) == before


def test_the_console_case_page_tells_the_refusal_in_chinese(database_url, clock):
    nowhere = f"http://127.0.0.1:{free_port()}"
    app = make_app(database_url, clock=clock, notify_url=nowhere, withdrawals_url=nowhere)
    engine = app.extensions["warden"].engine
    try:
        api = app.test_client()
        case_id, request = open_and_request_a_freeze(api, engine)
        deliver(engine, "accounts", restriction_refused(request, "ACCOUNT_CLOSED"))
        page_client = app.test_client()
        page_sign_in(page_client, "/console", "investigator", "i-007")
        page = page_client.get(f"/console/cases/{case_id}").get_data(as_text=True)
        kinds = re.findall(r'<li data-event-type="([^"]+)"', page)
        assert kinds[-1] == "RestrictionRefusalRecorded"
        entry = page[page.index('<li data-event-type="RestrictionRefusalRecorded"') :]
        entry = entry.split("</li>")[0]
        assert "限制措施被拒绝" in entry
        assert "账户系统拒绝对账户 acc_9 采取限制措施（冻结账户）：该账户已销户" in entry
    finally:
        engine.dispose()
