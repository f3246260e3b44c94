"""The /v1/cases API: roles, validation, conflicts, idempotency and four eyes, on both databases."""

import pytest
from cases_support import (
    AUDITOR,
    INVESTIGATOR,
    LIAISON_1,
    SUPERVISOR,
    account_opening_referred,
    bearer,
    case_events,
    count_events,
    deliver,
    known_account,
    withdrawal_held,
)

from services.cases.opening import case_id_for
from shared.tokens import ROLES

READERS = {"investigator", "supervisor", "auditor", "system"}
WORKERS = {"investigator", "supervisor"}
ENDPOINTS = [
    ("GET", "/v1/cases", READERS),
    ("POST", "/v1/cases", WORKERS),
    ("GET", "/v1/cases/case_x", READERS),
    ("GET", "/v1/cases/case_x/events", READERS),
    *[
        ("POST", f"/v1/cases/case_x/{action}", WORKERS)
        for action in (
            "claim",
            "notes",
            "contacts",
            "verification-requests",
            "escalations",
            "restriction-requests",
            "resolution",
            "closure",
        )
    ],
    ("POST", "/v1/cases/case_x/assignment", {"supervisor"}),
    ("POST", "/v1/cases/case_x/reopening", {"supervisor"}),
    ("GET", "/v1/verifications", {"police_liaison", "auditor"}),
    ("GET", "/v1/verifications/ver_x", {"police_liaison", "auditor"}),
    ("POST", "/v1/verifications/ver_x/confirmation", {"police_liaison"}),
]


def token_for(role: str) -> dict:
    return bearer(role, f"{role}-1", police_unit="PSB-HF-001" if role == "police_liaison" else None)


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
def test_each_endpoint_answers_403_to_every_role_it_does_not_serve_and_401_without_token(
    client, method, path, allowed
):
    assert client.open(path, method=method, json={}).status_code == 401
    for role in ROLES:
        response = client.open(path, method=method, json={}, headers=token_for(role))
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.get_json())
        else:
            assert response.status_code == 403, role
            assert response.mimetype == "application/problem+json"


def held_case(client, engine, claim=True) -> str:
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    case_id = case_id_for(held["event_id"])
    if claim:
        assert client.post(f"/v1/cases/{case_id}/claim", headers=INVESTIGATOR).status_code == 200
    return case_id


INVALID_BODIES = [
    ("assignment", {}, "investigator"),
    ("notes", {"text": ""}, "text"),
    ("notes", {"text": "x", "extra": 1}, "extra"),
    ("contacts", {"channel": "fax", "outcome": "reached", "summary": "s"}, "channel"),
    ("contacts", {"channel": "phone", "outcome": "maybe", "summary": "s"}, "outcome"),
    ("verification-requests", {"summary": "s"}, "police_unit"),
    ("escalations", {}, "reason"),
    ("restriction-requests", {"type": "ban", "reason": "r"}, "type"),
    ("restriction-requests", {"type": "freeze", "reason": "r", "expires_at": "soon"}, "expires_at"),
    (
        "restriction-requests",
        {"type": "freeze", "reason": "r", "expires_at": "2030-01-01T00:00:00"},
        "expires_at",
    ),
    ("resolution", {"outcome": "customer_cancelled"}, "reason"),
    ("closure", {"reason": ""}, "reason"),
]


@pytest.mark.parametrize(("action", "body", "field"), INVALID_BODIES)
def test_invalid_bodies_are_422_problems_naming_the_field(client, engine, action, body, field):
    case_id = held_case(client, engine)
    headers = SUPERVISOR if action == "assignment" else INVESTIGATOR
    response = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_business_rules_on_input_are_422_with_the_field(client, engine, clock):
    case_id = held_case(client, engine)
    wrong = client.post(
        f"/v1/cases/{case_id}/resolution",
        json={"outcome": "approved", "reason": "x"},
        headers=INVESTIGATOR,
    )
    assert wrong.status_code == 422
    assert "outcome" in wrong.get_json()["errors"]
    past = client.post(
        f"/v1/cases/{case_id}/restriction-requests",
        json={"type": "freeze", "reason": "r", "expires_at": "2026-03-01T00:00:00Z"},
        headers=INVESTIGATOR,
    )
    assert past.status_code == 422
    assert past.get_json()["errors"] == {"expires_at": ["Must be in the future."]}
    opened = client.post(
        "/v1/cases",
        json={"case_type": "police_verification", "account_id": "acc_1", "summary": "s"},
        headers=INVESTIGATOR,
    )
    assert opened.status_code == 422 and "case_type" in opened.get_json()["errors"]


def test_illegal_transitions_are_409_problems_and_record_nothing(client, engine):
    case_id = held_case(client, engine, claim=False)
    before = len(case_events(engine, case_id))
    for action, body in (
        ("closure", {"reason": "done"}),
        ("contacts", {"channel": "phone", "outcome": "reached", "summary": "s"}),
        ("resolution", {"outcome": "customer_cancelled", "reason": "r"}),
    ):
        response = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=INVESTIGATOR)
        assert response.status_code == 409, action
        assert response.get_json()["type"].endswith("/conflict")
    reopen = client.post(f"/v1/cases/{case_id}/reopening", json={"reason": "r"}, headers=SUPERVISOR)
    assert reopen.status_code == 409
    assert len(case_events(engine, case_id)) == before


def test_an_unknown_case_is_404_for_reads_and_actions(client):
    assert client.get("/v1/cases/case_nope", headers=AUDITOR).status_code == 404
    assert client.get("/v1/cases/case_nope/events", headers=AUDITOR).status_code == 404
    response = client.post("/v1/cases/case_nope/claim", headers=INVESTIGATOR)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_an_investigator_opens_a_suspicious_account_case(client, engine):
    known_account(engine, "acc_9", "cus_09")
    response = client.post(
        "/v1/cases",
        json={"case_type": "suspicious_account", "account_id": "acc_9", "summary": "Mule pattern"},
        headers=INVESTIGATOR,
    )
    assert response.status_code == 201
    case = response.get_json()
    assert case["id"].startswith("case_")
    assert response.headers["Location"] == f"/v1/cases/{case['id']}"
    assert (case["case_type"], case["status"], case["account_id"], case["customer_id"]) == (
        "suspicious_account",
        "open",
        "acc_9",
        "cus_09",  # the customer accounts told us of
    )
    assert case["sla_due_at"] == "2026-03-05T01:05:00.000000Z"  # 72 h after the app's clock
    assert case["timeline"][0]["actor"] == {"role": "investigator", "sub": "i-007"}
    history = client.get(f"/v1/cases/{case['id']}/events", headers=AUDITOR).get_json()
    assert [e["type"] for e in history["items"]] == ["CaseOpened", "CaseFactsRecorded"]


def test_a_replayed_claim_answers_the_same_and_happens_once(client, engine):
    case_id = held_case(client, engine, claim=False)
    headers = {**INVESTIGATOR, "Idempotency-Key": "claim-1"}
    first = client.post(f"/v1/cases/{case_id}/claim", json={}, headers=headers)
    again = client.post(f"/v1/cases/{case_id}/claim", json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_events(engine, "CaseAssigned") == 1
    other = client.post(f"/v1/cases/{case_id}/claim", json={}, headers=INVESTIGATOR)
    assert other.status_code == 409


def test_a_replayed_verification_request_is_one_request(client, engine):
    case_id = held_case(client, engine)
    headers = {**INVESTIGATOR, "Idempotency-Key": "ver-1"}
    body = {"police_unit": "PSB-HF-001", "summary": "please"}
    first = client.post(f"/v1/cases/{case_id}/verification-requests", json=body, headers=headers)
    again = client.post(f"/v1/cases/{case_id}/verification-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count_events(engine, "PoliceVerificationRequested") == 1
    changed = client.post(
        f"/v1/cases/{case_id}/verification-requests",
        json={**body, "summary": "other"},
        headers=headers,
    )
    assert changed.status_code == 422


def test_a_replayed_confirmation_is_its_first_answer_and_a_second_one_is_409(client, engine):
    case_id = held_case(client, engine)
    request = client.post(
        f"/v1/cases/{case_id}/verification-requests",
        json={"police_unit": "PSB-HF-001", "summary": "please"},
        headers=INVESTIGATOR,
    ).get_json()
    path = f"/v1/verifications/{request['id']}/confirmation"
    body = {"outcome": "cleared", "police_reference": "R-1", "officer": "O", "notes": "fine"}
    keyed = {**LIAISON_1, "Idempotency-Key": "confirm-1"}
    first = client.post(path, json=body, headers=keyed)
    replay = client.post(path, json=body, headers=keyed)
    second = client.post(path, json={**body, "outcome": "fraud_victim"}, headers=LIAISON_1)
    assert first.status_code == replay.status_code == 200
    assert replay.data == first.data
    assert second.status_code == 409
    assert count_events(engine, "PoliceVerificationConfirmed") == 1
    assert count_events(engine, "CaseResolved") == 1


def test_four_eyes_the_teller_who_opened_the_account_cannot_resolve_its_review(client, engine):
    referred = account_opening_referred(opened_by="i-007")  # an investigator who opened it
    deliver(engine, "accounts", referred)
    case_id = case_id_for(referred["event_id"])
    client.post(f"/v1/cases/{case_id}/claim", headers=INVESTIGATOR)
    body = {"outcome": "approved", "reason": "proof signed after all"}
    mine = client.post(f"/v1/cases/{case_id}/resolution", json=body, headers=INVESTIGATOR)
    assert mine.status_code == 403
    assert mine.mimetype == "application/problem+json"
    assert count_events(engine, "CaseResolved") == 0
    other = client.post(f"/v1/cases/{case_id}/resolution", json=body, headers=SUPERVISOR)
    assert other.status_code == 200
    resolved = other.get_json()
    assert resolved["resolution"]["outcome"] == "approved"
    assert resolved["resolution"]["resolved_by"] == "s-001"


def test_a_supervisor_assigns_reopens_and_the_case_goes_round_again(client, engine):
    case_id = held_case(client, engine, claim=False)
    assigned = client.post(
        f"/v1/cases/{case_id}/assignment", json={"investigator": "i-008"}, headers=SUPERVISOR
    ).get_json()
    assert (assigned["assignee"], assigned["status"]) == ("i-008", "in_progress")
    body = {"outcome": "customer_cancelled", "reason": "went home"}
    resolved = client.post(f"/v1/cases/{case_id}/resolution", json=body, headers=INVESTIGATOR)
    assert resolved.status_code == 200
    closed = client.post(
        f"/v1/cases/{case_id}/closure", json={"reason": "filed"}, headers=INVESTIGATOR
    )
    assert closed.get_json()["status"] == "closed"
    reopened = client.post(
        f"/v1/cases/{case_id}/reopening", json={"reason": "came back"}, headers=SUPERVISOR
    ).get_json()
    assert (reopened["status"], reopened["resolution"]) == ("in_progress", None)
    assert reopened["timeline"][-1]["action"] == "s-001 reopened the case: came back"


def test_notes_escalations_and_restriction_requests_are_recorded_with_the_actor(client, engine):
    case_id = held_case(client, engine)
    client.post(f"/v1/cases/{case_id}/notes", json={"text": "son called"}, headers=INVESTIGATOR)
    escalated = client.post(
        f"/v1/cases/{case_id}/escalations", json={"reason": "threats"}, headers=INVESTIGATOR
    ).get_json()
    assert escalated["queue"] == "supervisors"
    restriction = {
        "type": "non_counter_suspended",
        "reason": "victim of an ongoing scam",
        "expires_at": "2026-04-01T00:00:00Z",
    }
    response = client.post(
        f"/v1/cases/{case_id}/restriction-requests", json=restriction, headers=INVESTIGATOR
    )
    assert response.status_code == 200
    requested = case_events(engine, case_id)[-1]
    assert requested.type == "AccountRestrictionRequested"
    assert requested.data == {
        "case_id": case_id,
        "account_id": "acc_01",
        "type": "non_counter_suspended",
        "reason": "victim of an ongoing scam",
        "expires_at": "2026-04-01T00:00:00.000000Z",
        "requested_by": "i-007",
    }
    assert requested.metadata["actor"] == {"role": "investigator", "sub": "i-007"}
