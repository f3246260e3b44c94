"""Accounts and cases events through the consumer's processor: facts recorded, holds resolved."""

from sqlalchemy import func, select
from web_support import bearer
from withdrawals_support import TELLER, withdraw

from shared.consumer import Verdict
from shared.db import read_transaction
from shared.eventstore import read_stream
from shared.schema import events

AUDITOR = bearer("auditor", "a-1")


def stream(app, stream_id):
    with read_transaction(app.extensions["warden"].engine) as conn:
        return read_stream(conn, stream_id)


def log_size(app) -> int:
    with read_transaction(app.extensions["warden"].engine) as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


def case_opened(withdrawal_id, case_id="case_1", case_type="police_verification"):
    return {
        "case_id": case_id,
        "case_type": case_type,
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "withdrawal_id": withdrawal_id,
        "source_event_id": "ev-held",
        "sla_due_at": "2026-11-20T04:00:00.000000Z",
        "summary": "held withdrawal",
    }


def confirmed(withdrawal_id, outcome, case_id="case_1"):
    return {
        "case_id": case_id,
        "verification_id": "ver_1",
        "account_id": "acc_1",
        "withdrawal_id": withdrawal_id,
        "outcome": outcome,
        "police_reference": "PSB-HF-001-2026-77",
        "officer": "Officer Zhang",
        "notes": "",
    }


def resolved(withdrawal_id, outcome, case_id="case_1", case_type="police_verification"):
    return {
        "case_id": case_id,
        "case_type": case_type,
        "account_id": "acc_1",
        "withdrawal_id": withdrawal_id,
        "outcome": outcome,
        "reason": "customer decided not to invest",
        "resolved_by": "inv-1",
    }


def hold(client) -> str:
    body = withdraw(client, amount="20000.00", purpose="investment").get_json()
    assert body["status"] == "held"
    return body["id"]


def shown(client, withdrawal_id) -> dict:
    return client.get(f"/v1/withdrawals/{withdrawal_id}", headers=AUDITOR).get_json()


def test_story_3_the_case_is_learned_cleared_released_then_paid_out(wd_app, client, story):
    withdrawal_id = hold(client)
    story.send("cases", "CaseOpened", case_opened(withdrawal_id))
    assert shown(client, withdrawal_id)["case_id"] == "case_1"
    story.send("cases", "PoliceVerificationConfirmed", confirmed(withdrawal_id, "cleared"))
    assert shown(client, withdrawal_id)["status"] == "released"
    paid = client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}, headers=TELLER)
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid_out"
    types = [e.type for e in stream(wd_app, withdrawal_id)]
    assert types == [
        "WithdrawalHeld",
        "WithdrawalCaseLinked",
        "WithdrawalReleased",
        "WithdrawalPaidOut",
    ]
    released = stream(wd_app, withdrawal_id)[2]
    assert released.data == {
        "withdrawal_id": withdrawal_id,
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "case_id": "case_1",
        "police_reference": "PSB-HF-001-2026-77",
    }
    assert released.metadata["actor"] == {"role": "system", "sub": "warden"}
    assert released.metadata["correlation_id"].startswith("corr-")


def test_a_confirmation_delivered_twice_under_two_ids_moves_the_withdrawal_once(
    wd_app, client, story
):
    withdrawal_id = hold(client)
    first = story.send("cases", "PoliceVerificationConfirmed", confirmed(withdrawal_id, "cleared"))
    second = story.send("cases", "PoliceVerificationConfirmed", confirmed(withdrawal_id, "cleared"))
    assert first.verdict == second.verdict == Verdict.ACK
    types = [e.type for e in stream(wd_app, withdrawal_id)]
    assert types == ["WithdrawalHeld", "WithdrawalReleased"]


def test_story_2_fraud_victim_blocks_the_held_withdrawal(wd_app, client, story):
    withdrawal_id = hold(client)
    story.send("cases", "PoliceVerificationConfirmed", confirmed(withdrawal_id, "fraud_victim"))
    body = shown(client, withdrawal_id)
    assert (body["status"], body["case_id"]) == ("blocked", "case_1")
    blocked = stream(wd_app, withdrawal_id)[-1]
    assert blocked.type == "WithdrawalBlocked" and blocked.data["outcome"] == "fraud_victim"
    paid = client.post(f"/v1/withdrawals/{withdrawal_id}/payout", json={}, headers=TELLER)
    assert paid.status_code == 409


def test_a_case_resolved_customer_cancelled_cancels_the_withdrawal(wd_app, client, story):
    withdrawal_id = hold(client)
    story.send("cases", "CaseOpened", case_opened(withdrawal_id))
    story.send("cases", "CaseResolved", resolved(withdrawal_id, "customer_cancelled"))
    story.send("cases", "CaseResolved", resolved(withdrawal_id, "customer_cancelled"))
    assert shown(client, withdrawal_id)["status"] == "cancelled"
    cancelled = stream(wd_app, withdrawal_id)[-1]
    assert cancelled.type == "WithdrawalCancelled"
    assert cancelled.data["case_id"] == "case_1"
    assert cancelled.data["reason"] == "customer decided not to invest"
    assert [e.type for e in stream(wd_app, withdrawal_id)].count("WithdrawalCancelled") == 1


def test_an_open_case_holds_the_accounts_next_withdrawal_until_resolved_or_while_reopened(
    client, story
):
    story.send("cases", "CaseOpened", case_opened(None, "case_9", "suspicious_account"))
    first = withdraw(client).get_json()
    assert first["reasons"] == ["OPEN_CASE"]
    assert first["decision"]["inputs"]["open_case_ids"] == ["case_9"]
    story.send("cases", "CaseResolved", resolved(None, "no_action", "case_9", "suspicious_account"))
    assert withdraw(client).get_json()["status"] == "approved"
    story.send("cases", "CaseReopened", {"case_id": "case_9", "reason": "new evidence"})
    assert withdraw(client).get_json()["reasons"] == ["OPEN_CASE"]


def test_events_about_unknown_withdrawals_or_cases_are_acknowledged_and_change_nothing(
    wd_app, story
):
    before = log_size(wd_app)
    for event_type, data in (
        ("PoliceVerificationConfirmed", confirmed("wd_never", "cleared")),
        ("CaseResolved", {**resolved("wd_never", "customer_cancelled"), "account_id": None}),
        ("CaseReopened", {"case_id": "case_never", "reason": "?"}),
        ("CaseOpened", {**case_opened("wd_never"), "account_id": None}),
        ("CaseNoteAdded", {"case_id": "case_1", "text": "not ours"}),
    ):
        assert story.send("cases", event_type, data).verdict in (Verdict.ACK, Verdict.IGNORED)
    assert log_size(wd_app) == before


def test_accounts_events_build_the_snapshot_screening_sees(client, feed):
    feed.customer(birth_date="1990-01-01", occupation="student")
    feed.send(
        "accounts",
        "AccountOpeningReferred",
        {
            "account_id": "acc_1",
            "customer_id": "cus_1",
            "branch_id": "HF-01",
            "status": "pending_review",
            "risk_tier": "MEDIUM",
            "limits": {"per_transaction": "20000.00", "daily": "50000.00"},
            "verification_method": "sms_otp_and_face",
            "opened_at": "2026-11-10T02:00:00.000000Z",
            "flags": ["EMPLOYMENT_PROOF_UNSIGNED"],
            "customer_name_initial": "王*",
            "opened_by": "t-001",
        },
    )
    assert withdraw(client).get_json()["reasons"] == ["ACCOUNT_NOT_ACTIVE"]
    feed.send(
        "accounts",
        "AccountActivated",
        {
            "account_id": "acc_1",
            "customer_id": "cus_1",
            "case_id": "case_dd",
            "risk_tier": "MEDIUM",
            "limits": {"per_transaction": "20000.00", "daily": "50000.00"},
            "verification_method": "sms_otp_and_face",
            "activated_at": "2026-11-12T02:00:00.000000Z",
        },
    )
    body = withdraw(client, amount="100.00").get_json()
    assert body["status"] == "approved"
    inputs = body["decision"]["inputs"]
    assert (inputs["tier"], inputs["segment"], inputs["account_age_days"]) == (
        "MEDIUM",
        "student",
        10,
    )
    feed.send(
        "accounts",
        "RiskTierChanged",
        {
            "account_id": "acc_1",
            "customer_id": "cus_1",
            "from_tier": "MEDIUM",
            "to_tier": "HIGH",
            "limits": {"per_transaction": "5000.00", "daily": "10000.00"},
            "verification_method": "face_and_callback",
            "reasons": ["REPEATED_HOLDS"],
            "source": {"kind": "withdrawal", "id": "wd_x"},
        },
    )
    assert withdraw(client, amount="10000.00").get_json()["reasons"] == ["HIGH_RISK_TIER"]
    restriction = {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "restriction_id": "rst_1",
        "type": "freeze",
        "reason": "suspected mule",
        "source": {"kind": "police", "id": "REF"},
        "expires_at": None,
        "requested_by": "sup-1",
    }
    feed.send("accounts", "AccountRestricted", restriction)
    assert withdraw(client).get_json()["reasons"] == ["ACCOUNT_FROZEN"]
    feed.send("accounts", "AccountRestrictionLifted", {**restriction, "reason": "cleared"})
    assert withdraw(client, amount="100.00").get_json()["status"] == "approved"
    feed.send(
        "accounts", "AccountClosed", {"account_id": "acc_1", "customer_id": "cus_1", "reason": "x"}
    )
    assert withdraw(client).get_json()["reasons"] == ["ACCOUNT_NOT_ACTIVE"]


def test_a_refused_account_is_known_and_rejected(client, feed):
    feed.customer()
    refused = {"account_id": "acc_1", "customer_id": "cus_1", "flags": ["WATCHLISTED"]}
    feed.send(
        "accounts", "AccountOpeningRefused", {**refused, "reason": "watchlisted", "case_id": None}
    )
    assert withdraw(client).get_json()["reasons"] == ["ACCOUNT_NOT_ACTIVE"]
