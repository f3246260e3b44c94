"""Payout, cancellation, appointments, branch scoping, lists and history over HTTP."""

from datetime import timedelta

import pytest
from web_support import bearer
from withdrawals_support import OMIT, OTHER_TELLER, SYSTEM, TELLER, book, transfer, withdraw

READERS = ("system", "teller", "investigator", "supervisor", "auditor")


def payout(client, withdrawal_id, headers=TELLER):
    return client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}, headers=headers)


def cancel(client, withdrawal_id, headers=TELLER, reason="customer changed their mind"):
    body = {"reason": reason}
    return client.post(f"/v1/withdrawals/{withdrawal_id}/cancellation", json=body, headers=headers)


def held(client) -> str:
    body = withdraw(client, amount="20000.00", purpose="investment").get_json()
    assert body["status"] == "held"
    return body["id"]


def test_an_approved_withdrawal_is_paid_out_once(client, story):
    withdrawal_id = withdraw(client).get_json()["id"]
    response = payout(client, withdrawal_id)
    assert response.status_code == 200 and response.get_json()["status"] == "paid_out"
    again = payout(client, withdrawal_id)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert cancel(client, withdrawal_id).status_code == 409


def test_a_held_withdrawal_cannot_be_paid_out_but_can_be_cancelled(client, story):
    withdrawal_id = held(client)
    assert payout(client, withdrawal_id).status_code == 409
    response = cancel(client, withdrawal_id)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert cancel(client, withdrawal_id).status_code == 409
    assert payout(client, withdrawal_id).status_code == 409


def test_a_rejected_withdrawal_goes_nowhere(client, story):
    rejected = withdraw(client, amount="60000.00").get_json()
    assert rejected["status"] == "rejected"
    assert payout(client, rejected["id"]).status_code == 409
    assert cancel(client, rejected["id"]).status_code == 409


def test_unknown_withdrawals_are_404_and_a_cancellation_needs_a_reason(client, story):
    assert payout(client, "wd_nope").status_code == 404
    assert cancel(client, "wd_nope").status_code == 404
    assert client.get("/v1/withdrawals/wd_nope", headers=SYSTEM).status_code == 404
    assert client.get("/v1/withdrawals/wd_nope/events", headers=SYSTEM).status_code == 404
    withdrawal_id = withdraw(client).get_json()["id"]
    response = client.post(f"/v1/withdrawals/{withdrawal_id}/cancellation", json={}, headers=TELLER)
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]


def test_a_teller_sees_and_acts_on_their_own_branch_only(client, story):
    withdrawal_id = withdraw(client).get_json()["id"]
    appointment_id = book(client).get_json()["id"]
    for path in (
        f"/v1/withdrawals/{withdrawal_id}",
        f"/v1/withdrawals/{withdrawal_id}/events",
        f"/v1/appointments/{appointment_id}",
        f"/v1/appointments/{appointment_id}/events",
    ):
        assert client.get(path, headers=OTHER_TELLER).status_code == 404, path
        assert client.get(path, headers=TELLER).status_code == 200, path
        assert client.get(path, headers=SYSTEM).status_code == 200, path
    assert client.get("/v1/withdrawals", headers=OTHER_TELLER).get_json()["items"] == []
    assert payout(client, withdrawal_id, OTHER_TELLER).status_code == 404
    assert cancel(client, withdrawal_id, OTHER_TELLER).status_code == 404
    deleted = client.delete(f"/v1/appointments/{appointment_id}", headers=OTHER_TELLER)
    assert deleted.status_code == 404
    assert payout(client, withdrawal_id, SYSTEM).status_code == 200


@pytest.mark.parametrize("role", READERS)
def test_every_reading_role_reads(client, story, role):
    withdrawal_id = withdraw(client).get_json()["id"]
    headers = bearer(role, "r-1", branch_id="HF-01")
    assert client.get(f"/v1/withdrawals/{withdrawal_id}", headers=headers).status_code == 200
    assert client.get("/v1/withdrawals", headers=headers).status_code == 200


@pytest.mark.parametrize("role", ["investigator", "supervisor", "auditor", "police_liaison"])
def test_only_tellers_and_systems_pay_out_cancel_or_delete(client, story, role):
    withdrawal_id = withdraw(client).get_json()["id"]
    appointment_id = book(client).get_json()["id"]
    headers = bearer(role, "x", police_unit="PSB-HF-001")
    assert payout(client, withdrawal_id, headers).status_code == 403
    assert cancel(client, withdrawal_id, headers).status_code == 403
    assert client.delete(f"/v1/appointments/{appointment_id}", headers=headers).status_code == 403
    police = bearer("police_liaison", "p", police_unit="PSB-HF-001")
    assert client.get(f"/v1/appointments/{appointment_id}", headers=police).status_code == 403


def test_lists_filter_by_account_and_status_and_page_newest_first(client, story):
    story.customer("cus_2", birth_date="1990-01-01", occupation="engineer")
    story.account("acc_2", "cus_2")
    ids = [withdraw(client, amount=f"{100 + i}.00").get_json()["id"] for i in range(4)]
    other = withdraw(client, account_id="acc_2").get_json()["id"]
    risky = held(client)
    payout(client, ids[0])

    def listed(query, headers=TELLER):
        seen, cursor = [], None
        while True:
            suffix = f"&cursor={cursor}" if cursor else ""
            body = client.get(f"/v1/withdrawals?limit=2{query}{suffix}", headers=headers)
            assert body.status_code == 200, body.get_json()
            page = body.get_json()
            assert len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    assert listed("") == sorted([*ids, other, risky], reverse=True)
    assert listed("&account_id=acc_1") == sorted([*ids, risky], reverse=True)
    assert listed("&account_id=acc_2") == [other]
    assert listed("&status=held") == [risky]
    assert listed("&status=paid_out&account_id=acc_1") == [ids[0]]
    assert listed("&status=approved", bearer("auditor")) == sorted([*ids[1:], other], reverse=True)
    for query in ("?status=lost", "?limit=0", "?limit=501", "?cursor=%%%", "?cursor=WzFd"):
        response = client.get(f"/v1/withdrawals{query}", headers=TELLER)
        assert response.status_code == 422, query


def test_history_lists_a_withdrawals_events_in_order_with_actors(client, story):
    withdrawal_id = withdraw(client).get_json()["id"]
    payout(client, withdrawal_id)
    items = client.get(f"/v1/withdrawals/{withdrawal_id}/events", headers=bearer("auditor"))
    items = items.get_json()["items"]
    assert [(e["type"], e["version"]) for e in items] == [
        ("WithdrawalApproved", 1),
        ("WithdrawalPaidOut", 2),
    ]
    assert items[0]["actor"] == {"role": "teller", "sub": "t-001"}
    assert items[1]["data"] == {
        "withdrawal_id": withdrawal_id,
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "amount": "1000.00",
        "branch_id": "HF-01",
    }


def test_an_appointment_is_booked_shown_cancelled_once_and_has_a_history(client, story):
    response = book(client)
    assert response.status_code == 201
    appointment = response.get_json()
    assert response.headers["Location"] == f"/v1/appointments/{appointment['id']}"
    assert appointment["status"] == "booked" and appointment["branch_id"] == "HF-01"
    assert appointment["id"].startswith("apt_") and appointment["amount"] == "80000.00"
    path = f"/v1/appointments/{appointment['id']}"
    cancelled = client.delete(f"{path}?reason=customer+called", headers=TELLER)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["cancellation_reason"] == "customer called"
    assert client.delete(path, headers=TELLER).status_code == 409
    events = client.get(f"{path}/events", headers=TELLER).get_json()["items"]
    assert [e["type"] for e in events] == ["AppointmentBooked", "AppointmentCancelled"]
    rejected = withdraw(
        client, amount="80000.00", purpose="investment", appointment_id=appointment["id"]
    )
    assert rejected.get_json()["reasons"] == ["APPOINTMENT_REQUIRED"]


def test_a_used_appointment_cannot_be_cancelled(client, story):
    appointment_id = book(client).get_json()["id"]
    withdraw(client, amount="80000.00", purpose="investment", appointment_id=appointment_id)
    assert client.delete(f"/v1/appointments/{appointment_id}", headers=TELLER).status_code == 409


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "2026-11-19"}, "date"),
        ({"date": "20-11-2026"}, "date"),
        ({"currency": "EUR"}, "currency"),
        ({"amount": 80000}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "80000.00\n"}, "amount"),
        ({"branch_id": OMIT}, "branch_id"),
        ({"branch_id": None}, "branch_id"),
        ({"purpose": "fun"}, "purpose"),
        ({"source_of_funds": ""}, "source_of_funds"),
    ],
)
def test_invalid_appointments_are_422(client, story, changes, field):
    response = book(client, **changes)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_an_appointment_is_valid_on_its_own_date_only(client, story, clock):
    appointment_id = book(client, date="2026-11-21", purpose="living_expenses").get_json()["id"]
    today = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    assert today["reasons"] == ["APPOINTMENT_REQUIRED"]
    clock.now += timedelta(days=1)
    tomorrow = withdraw(client, amount="60000.00", appointment_id=appointment_id).get_json()
    assert tomorrow["status"] == "held" and tomorrow["reasons"] == ["ELDERLY_LARGE_CASH"]


def test_a_transfer_carries_its_payee(client, story):
    body = transfer(client, "500.00").get_json()
    assert body["payee"] == {"name": "李雷", "account": "6222020000000000"}
    assert body["channel"] == "mobile_transfer" and body["status"] == "approved"
