"""Reactions to withdrawals' and cases' events, through the consumer's inbox transaction."""

from datetime import datetime

import pytest
from accounts_support import (
    START,
    account_events,
    bearer,
    case_resolved,
    make_app,
    open_account,
    police_confirmed,
    register,
    restriction_requested,
    withdrawal_held,
)
from sqlalchemy import func, select

from shared import codec, eventstore
from shared.consumer import MessageProcessor, Verdict
from shared.db import read_transaction, write_transaction
from shared.envelope import Envelope
from shared.schema import dead_letters, events

UNSIGNED = [{"type": "employment_proof", "employer": "Hefei Tech Co"}]


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def processor(app, source: str) -> MessageProcessor:
    state = app.extensions["warden"]
    return MessageProcessor(
        state.engine, f"accounts-from-{source}", state.spec.subscriptions[source]
    )


def deliver(app, source: str, envelope: dict) -> Verdict:
    return processor(app, source).process(f"{source}.x", codec.dumpb(envelope), 1).verdict


def types(app, account_id):
    return [e.type for e in account_events(app, account_id)]


def published(app, event_type: str) -> list:
    """Every event of the type in the log, whatever its stream: what the relay publishes."""
    with read_transaction(app.extensions["warden"].engine) as conn:
        stored = eventstore.read_after(conn, 0, 10_000)
    return [event for event in stored if event.type == event_type]


def account(client, account_id):
    return client.get(f"/v1/accounts/{account_id}", headers=bearer("auditor")).get_json()


def test_one_hold_medium_and_a_second_within_30_days_high(app, client):
    account_id = open_account(client, register(client)["id"])["id"]
    assert deliver(app, "withdrawals", withdrawal_held(account_id, "wd_1", START)) is Verdict.ACK
    assert account(client, account_id)["risk_tier"] == "MEDIUM"
    # The same withdrawal again, under another event id: state catches what the inbox cannot.
    deliver(app, "withdrawals", withdrawal_held(account_id, "wd_1", START))
    assert types(app, account_id).count("RiskTierChanged") == 1
    deliver(app, "withdrawals", withdrawal_held(account_id, "wd_2", START.replace(day=20)))
    shown = account(client, account_id)
    assert (shown["risk_tier"], shown["verification_method"]) == ("HIGH", "face_and_callback")
    hold = account_events(app, account_id)[1]
    assert (
        hold.type == "AccountHoldRecorded" and hold.data["held_at"] == "2026-11-02T02:00:00.000000Z"
    )


def test_the_same_envelope_twice_is_a_duplicate(app, client):
    account_id = open_account(client, register(client)["id"])["id"]
    held = withdrawal_held(account_id, "wd_1", START)
    assert deliver(app, "withdrawals", held) is Verdict.ACK
    assert deliver(app, "withdrawals", held) is Verdict.DUPLICATE


def test_due_diligence_resolution_activates_or_refuses(app, client):
    customer_id = register(client)["id"]
    approved = open_account(client, customer_id, documents=UNSIGNED)["id"]
    refused = open_account(client, customer_id, documents=UNSIGNED)["id"]
    deliver(app, "cases", case_resolved(approved, "case_1", "approved", START))
    deliver(app, "cases", case_resolved(approved, "case_1", "approved", START))  # state: no-op
    deliver(app, "cases", case_resolved(refused, "case_2", "refused", START, reason="fake"))
    shown = account(client, approved)
    assert (shown["status"], shown["risk_tier"]) == ("active", "MEDIUM")
    assert shown["limits"] == {"per_transaction": "20000.00", "daily": "50000.00"}
    assert types(app, approved) == ["AccountOpeningReferred", "AccountActivated", "RiskTierChanged"]
    assert account(client, refused)["status"] == "refused"
    (refusal,) = account_events(app, refused)[1:]
    assert (refusal.data["case_id"], refusal.data["reason"]) == ("case_2", "fake")


def test_other_case_types_and_unknown_accounts_change_nothing_and_park_nothing(app, client):
    """A restriction request is the one that is answered: see the refusals below."""
    account_id = open_account(client, register(client)["id"], documents=UNSIGNED)["id"]
    other = case_resolved(account_id, "c9", "approved", START, case_type="police_verification")
    assert deliver(app, "cases", other) is Verdict.ACK
    assert types(app, account_id) == ["AccountOpeningReferred"]
    for unknown in (
        withdrawal_held("acc_nope", "wd_9", START),
        police_confirmed("acc_nope", "c1", "fraud_suspect", START),
        case_resolved("acc_nope", "c2", "approved", START),
    ):
        source = "withdrawals" if unknown["type"] == "WithdrawalHeld" else "cases"
        assert deliver(app, source, unknown) is Verdict.ACK
    with read_transaction(app.extensions["warden"].engine) as conn:
        assert conn.execute(select(func.count()).select_from(dead_letters)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 2


def test_police_outcomes_move_tier_and_restrict(app, client):
    customer_id = register(client)["id"]
    victim = open_account(client, customer_id)["id"]
    suspect = open_account(client, customer_id, headers=bearer("system"), branch_id="HF-01")["id"]
    cleared = open_account(client, register(client, id_number="340104199001011111")["id"])["id"]
    deliver(app, "cases", police_confirmed(victim, "c1", "fraud_victim", START))
    deliver(app, "cases", police_confirmed(suspect, "c2", "fraud_suspect", START))
    deliver(app, "cases", police_confirmed(cleared, "c3", "cleared", START))
    shown = account(client, victim)
    assert shown["risk_tier"] == "HIGH"
    (restriction,) = shown["restrictions"]
    assert restriction["type"] == "non_counter_suspended"
    assert restriction["source"] == {"kind": "police", "id": "PSB-HF-001/c1"}
    assert restriction["requested_by"] == "pl-001"
    restricted = account_events(app, victim)[-1]
    days = _days_between(restricted.metadata["occurred_at"], restricted.data["expires_at"])
    assert days == 30
    shown = account(client, suspect)
    assert shown["risk_tier"] == "RESTRICTED"
    assert [r["type"] for r in shown["restrictions"]] == ["freeze"]
    assert shown["restrictions"][0]["expires_at"] is None
    assert types(app, cleared) == ["AccountOpened"]


def _days_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


def test_a_case_restriction_request_restricts_once_with_the_investigator(app, client):
    account_id = open_account(client, register(client)["id"])["id"]
    request = restriction_requested(account_id, "case_5", START, expires_at="2026-12-24T00:00:00Z")
    deliver(app, "cases", request)
    deliver(app, "cases", {**request, "event_id": "another-delivery"})
    (restriction,) = account(client, account_id)["restrictions"]
    assert restriction["source"] == {"kind": "case", "id": "case_5"}
    assert restriction["requested_by"] == "inv-7"
    assert restriction["expires_at"] == "2026-12-24T00:00:00.000000Z"
    assert published(app, "AccountRestrictionRefused") == []
    lift = f"/v1/accounts/{account_id}/restrictions/{restriction['id']}"
    assert client.delete(lift, headers=bearer("supervisor", "inv-7")).status_code == 403
    assert client.delete(lift, headers=bearer("supervisor", "sup-1")).status_code == 200


def test_a_restriction_request_for_an_unknown_account_is_refused_on_the_record(app):
    request = {**restriction_requested("acc_nope", "case_7", START), "correlation_id": "corr-7"}
    assert deliver(app, "cases", request) is Verdict.ACK
    (refusal,) = published(app, "AccountRestrictionRefused")
    assert refusal.stream_id == f"rstrefused-{request['event_id']}"
    assert refusal.data == {
        "account_id": "acc_nope",
        "case_id": "case_7",
        "request_event_id": request["event_id"],
        "type": "stop_payment",
        "requested_by": "inv-7",
        "reason_code": "ACCOUNT_UNKNOWN",
        "reason": "No such account.",
    }
    assert refusal.metadata["aggregate"] == "restriction_refusal"
    assert refusal.metadata["causation_id"] == request["event_id"]
    assert refusal.metadata["correlation_id"] == "corr-7"  # the case's story
    assert account_events(app, "acc_nope") == []  # no stream for an account that is not there
    assert published(app, "AccountRestricted") == []


def test_a_closed_account_and_a_lapsed_expiry_are_refused_with_their_reasons(app, client):
    customer_id = register(client)["id"]
    closed = open_account(client, customer_id)["id"]
    closure = client.post(
        f"/v1/accounts/{closed}/closure", json={"reason": "moved"}, headers=bearer()
    )
    assert closure.status_code == 200, closure.get_json()
    active = open_account(client, customer_id)["id"]
    deliver(app, "cases", restriction_requested(closed, "case_1", START, type="freeze"))
    lapsed = restriction_requested(active, "case_2", START, expires_at="2020-01-01T00:00:00Z")
    deliver(app, "cases", lapsed)
    refusals = {r.data["case_id"]: r.data for r in published(app, "AccountRestrictionRefused")}
    assert (refusals["case_1"]["reason_code"], refusals["case_1"]["type"]) == (
        "ACCOUNT_CLOSED",
        "freeze",
    )
    assert refusals["case_1"]["reason"] == "A closed account cannot be restricted."
    assert refusals["case_2"]["reason_code"] == "EXPIRY_PASSED"
    assert types(app, closed) == ["AccountOpened", "AccountClosed"]
    assert account(client, active)["restrictions"] == []


def test_the_same_request_twice_is_refused_once(app):
    request = restriction_requested("acc_nope", "case_7", START)
    assert deliver(app, "cases", request) is Verdict.ACK
    assert deliver(app, "cases", request) is Verdict.DUPLICATE
    handle = app.extensions["warden"].spec.subscriptions["cases"]["AccountRestrictionRequested"]
    for _ in range(2):  # past the inbox: a retried dead letter, a pruned inbox
        with write_transaction(app.extensions["warden"].engine) as conn:
            handle.fn(conn, Envelope.parse(codec.dumpb(request)))
    assert len(published(app, "AccountRestrictionRefused")) == 1
