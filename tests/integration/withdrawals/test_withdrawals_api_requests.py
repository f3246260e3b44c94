"""POST /v1/withdrawals on SQLite and PostgreSQL: decisions, validation, roles, idempotency."""

from datetime import UTC, datetime

import pytest
from web_support import bearer
from withdrawals_support import OMIT, OTHER_TELLER, SYSTEM, TELLER, book, transfer, withdraw

from shared.db import read_transaction
from shared.eventstore import read_all, read_stream

PROBLEM = "application/problem+json"


def events_of(app, stream_id):
    with read_transaction(app.extensions["warden"].engine) as conn:
        return read_stream(conn, stream_id)


def test_story_2_elderly_investment_cash_with_an_appointment_is_held_and_explained(
    wd_app, client, story
):
    appointment = book(client).get_json()
    response = withdraw(
        client, amount="80000.00", purpose="investment", appointment_id=appointment["id"]
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/withdrawals/{body['id']}"
    assert body["status"] == "held"
    assert sorted(body["reasons"]) == ["ELDERLY_LARGE_CASH", "RISKY_PURPOSE"]
    assert body["branch_id"] == "HF-01" and body["customer_id"] == "cus_1"

    shown = client.get(f"/v1/withdrawals/{body['id']}", headers=bearer("investigator")).get_json()
    decision = shown["decision"]
    assert decision["rules_version"] == "2026-11-01"
    inputs = decision["inputs"]
    assert (inputs["segment"], inputs["age"], inputs["tier"]) == ("elderly", 68, "LOW")
    assert inputs["limits"] == {"per_transaction": "50000.00", "daily": "200000.00"}
    assert inputs["today_non_counter_total"] == "0.00"
    assert inputs["velocity"]["count"] == 1
    assert inputs["appointment"]["valid"] is True
    applied = [v["rule"] for v in decision["verdicts"] if v["applied"]]
    assert applied == ["RISKY_PURPOSE", "ELDERLY_LARGE_CASH"]

    (held,) = events_of(wd_app, body["id"])
    assert held.type == "WithdrawalHeld" and held.aggregate == "withdrawal"
    assert held.data["customer"] == {
        "customer_id": "cus_1",
        "name_initial": "王*",
        "id_number_masked": "3401**********1234",
        "age": 68,
        "segment": "elderly",
        "preferred_language": "zh-CN",
    }
    assert held.data["decision"] == decision
    used = client.get(f"/v1/appointments/{appointment['id']}", headers=TELLER).get_json()
    assert (used["status"], used["withdrawal_id"]) == ("used", body["id"])


def test_an_appointment_covers_one_withdrawal_only(client, story):
    appointment_id = book(client, purpose="living_expenses").get_json()["id"]
    first = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    second = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    assert first["status"] == "held"  # 68 years old: ELDERLY_LARGE_CASH
    assert second["status"] == "rejected" and second["reasons"] == ["APPOINTMENT_REQUIRED"]
    problems = second["decision"]["inputs"]["appointment"]["problems"]
    assert problems == ["used"]


def test_a_rejected_request_does_not_use_the_appointment(client, story):
    story.send(
        "accounts", "AccountClosed", {"account_id": "acc_1", "customer_id": "cus_1", "reason": "x"}
    )
    appointment_id = book(client, purpose="living_expenses").get_json()["id"]
    rejected = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    assert rejected["reasons"] == ["ACCOUNT_NOT_ACTIVE"]
    shown = client.get(f"/v1/appointments/{appointment_id}", headers=TELLER).get_json()
    assert shown["status"] == "booked"


def test_story_2_a_transfer_after_non_counter_suspension_is_rejected(client, story):
    story.send(
        "accounts",
        "AccountRestricted",
        {
            "account_id": "acc_1",
            "customer_id": "cus_1",
            "restriction_id": "rst_1",
            "type": "non_counter_suspended",
            "reason": "police outcome fraud_victim",
            "source": {"kind": "police", "id": "PSB-2026-1"},
            "expires_at": "2026-12-20T02:00:00.000000Z",
            "requested_by": "system",
        },
    )
    body = transfer(client, "10000.00").get_json()
    assert body["status"] == "rejected"
    assert body["reasons"] == ["NON_COUNTER_SUSPENDED"]


def test_an_account_not_heard_of_yet_is_a_404_problem(client, feed):
    response = withdraw(client, account_id="acc_unknown")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    feed.account()  # the account, but not yet its customer
    assert withdraw(client).status_code == 404
    assert book(client, account_id="acc_unknown").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"amount": 1000.0}, "amount"),
        ({"amount": "1000.0"}, "amount"),
        ({"amount": "1000.00\n"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"channel": "cheque"}, "channel"),
        ({"purpose": "holiday"}, "purpose"),
        ({"account_id": None}, "account_id"),
        ({"channel": "online_transfer"}, "payee"),
        ({"payee": {"name": "x", "account": "1"}}, "payee"),
        ({"branch_id": OMIT}, "branch_id"),
        ({"branch_id": None}, "branch_id"),
        ({"branch_id": ""}, "branch_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_requests_are_422_problems_naming_the_field(client, story, changes, field):
    response = withdraw(client, **changes)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM
    assert field in response.get_json()["errors"]


def test_an_unknown_appointment_is_a_404_problem_and_changes_nothing(client, story):
    response = withdraw(client, amount="60000.00", appointment_id="apt_nope")
    assert response.status_code == 404 and response.mimetype == PROBLEM
    assert "apt_nope" in response.get_json()["detail"]
    assert client.get("/v1/withdrawals", headers=TELLER).get_json()["items"] == []


def test_a_system_caller_names_the_branch(client, story):
    omitted = withdraw(client, SYSTEM, branch_id=OMIT)
    assert omitted.status_code == 422
    assert omitted.get_json()["errors"] == {"branch_id": ["Missing data for required field."]}
    assert book(client, SYSTEM, branch_id=OMIT).status_code == 422
    body = withdraw(client, SYSTEM, branch_id="HF-09").get_json()
    assert body["branch_id"] == "HF-09" and body["status"] == "approved"


def test_a_teller_naming_another_branch_is_forbidden_and_changes_nothing(wd_app, client, story):
    before = len(list(read_all(wd_app.extensions["warden"].engine)))
    for response in (
        withdraw(client, branch_id="HF-02"),
        book(client, branch_id="HF-02"),
        withdraw(client, OTHER_TELLER),  # HF-02's teller naming HF-01
        book(client, OTHER_TELLER),
    ):
        assert response.status_code == 403 and response.mimetype == PROBLEM
    assert len(list(read_all(wd_app.extensions["warden"].engine))) == before


def test_a_teller_token_without_a_branch_may_not_write(client, story):
    assert withdraw(client, bearer("teller", "t-9")).status_code == 403


@pytest.mark.parametrize("role", ["investigator", "supervisor", "auditor", "police_liaison"])
def test_only_tellers_and_systems_write(client, story, role):
    headers = bearer(role, "x", police_unit="PSB-HF-001")
    assert withdraw(client, headers).status_code == 403
    assert book(client, headers).status_code == 403


def test_police_liaison_reads_nothing_and_no_token_is_401(client, story):
    withdrawal_id = withdraw(client).get_json()["id"]
    police = bearer("police_liaison", "p-1", police_unit="PSB-HF-001")
    for path in (
        f"/v1/withdrawals/{withdrawal_id}",
        f"/v1/withdrawals/{withdrawal_id}/events",
        "/v1/withdrawals",
    ):
        assert client.get(path, headers=police).status_code == 403
        assert client.get(path).status_code == 401
    assert withdraw(client, {}).status_code == 401
    assert client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}).status_code == 401


def test_the_same_idempotency_key_replays_the_first_answer_and_acts_once(wd_app, client, story):
    headers = {**TELLER, "Idempotency-Key": "req-1"}
    first = withdraw(client, headers, amount="2000.00")
    again = withdraw(client, headers, amount="2000.00")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/v1/withdrawals", headers=TELLER).get_json()["items"]
    assert [item["id"] for item in listed] == [first.get_json()["id"]]
    assert withdraw(client, headers, amount="3000.00").status_code == 422

    withdrawal_id = first.get_json()["id"]
    payout_headers = {**TELLER, "Idempotency-Key": "pay-1"}
    paid = client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}, headers=payout_headers)
    repaid = client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}, headers=payout_headers)
    assert paid.status_code == repaid.status_code == 200
    assert [e.type for e in events_of(wd_app, withdrawal_id)] == [
        "WithdrawalApproved",
        "WithdrawalPaidOut",
    ]


def test_the_daily_limit_resets_at_midnight_in_shanghai(client, feed, clock):
    feed.customer(birth_date="1980-01-01", occupation="engineer")
    feed.account(tier="MEDIUM")
    clock.now = datetime(2026, 11, 19, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    assert transfer(client, "20000.00").get_json()["status"] == "approved"
    assert transfer(client, "20000.00").get_json()["status"] == "approved"
    clock.now = datetime(2026, 11, 19, 15, 59, 59, tzinfo=UTC)
    late = transfer(client, "10000.01").get_json()
    assert late["reasons"] == ["LIMIT_DAILY"]
    assert late["decision"]["inputs"]["today_non_counter_total"] == "40000.00"
    clock.now = datetime(2026, 11, 19, 16, 0, 1, tzinfo=UTC)  # 00:00:01 the next day
    early = transfer(client, "10000.01").get_json()
    assert early["decision"]["inputs"]["today_non_counter_total"] == "0.00"
    assert early["decision"]["inputs"]["business_date"] == "2026-11-20"
    assert "LIMIT_DAILY" not in early["reasons"]
    assert early["status"] == "held" and early["reasons"] == ["VELOCITY"]  # 3 in 24 h, 50,000.01
