"""GET /v1/cases: newest first, paged, filtered by status, type, assignee and police unit."""

import pytest
from cases_support import (
    AUDITOR,
    INVESTIGATOR,
    SUPERVISOR,
    account_opening_referred,
    deliver,
    known_account,
    withdrawal_held,
)

from services.cases.opening import case_id_for


def ids(client, query: str) -> list[str]:
    response = client.get(f"/v1/cases?{query}", headers=AUDITOR)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def three_cases(client, engine):
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    police = case_id_for(held["event_id"])
    referred = account_opening_referred()
    deliver(engine, "accounts", referred)
    review = case_id_for(referred["event_id"])
    known_account(engine, "acc_3")
    suspicious = client.post(
        "/v1/cases",
        json={"case_type": "suspicious_account", "account_id": "acc_3", "summary": "odd"},
        headers=INVESTIGATOR,
    ).get_json()["id"]
    client.post(f"/v1/cases/{police}/claim", headers=INVESTIGATOR)
    client.post(
        f"/v1/cases/{police}/verification-requests",
        json={"police_unit": "PSB-HF-002", "summary": "verify"},
        headers=INVESTIGATOR,
    )
    client.post(f"/v1/cases/{review}/assignment", json={"investigator": "i-9"}, headers=SUPERVISOR)
    return police, review, suspicious


def test_cases_list_newest_first_and_page_without_overlap(client, three_cases):
    police, review, suspicious = three_cases
    assert ids(client, "") == [suspicious, review, police]
    first = client.get("/v1/cases?limit=2", headers=AUDITOR).get_json()
    assert [item["id"] for item in first["items"]] == [suspicious, review]
    assert ids(client, f"limit=2&cursor={first['next_cursor']}") == [police]


def test_each_filter_narrows_the_list(client, three_cases):
    police, review, suspicious = three_cases
    assert ids(client, "status=awaiting_police") == [police]
    assert ids(client, "status=open") == [suspicious]
    assert ids(client, "type=due_diligence_review") == [review]
    assert ids(client, "assignee=i-9") == [review]
    assert ids(client, "assignee=i-007") == [police]
    assert ids(client, "police_unit=PSB-HF-002") == [police]
    assert ids(client, "police_unit=PSB-HF-001") == []
    assert ids(client, "type=police_verification&status=open") == []


def test_list_items_carry_their_verification_requests(client, three_cases):
    police, _, _ = three_cases
    (item,) = client.get("/v1/cases?police_unit=PSB-HF-002", headers=AUDITOR).get_json()["items"]
    assert item["id"] == police
    assert [
        (r["police_unit"], r["status"], r["outcome"]) for r in item["verification_requests"]
    ] == [("PSB-HF-002", "pending", None)]
    assert "timeline" not in item


@pytest.mark.parametrize(
    "query", ["status=pending", "type=other", "sla=late", "queue=tellers", "limit=0", "cursor=%%"]
)
def test_an_unknown_filter_value_is_a_422_problem(client, query):
    response = client.get(f"/v1/cases?{query}", headers=AUDITOR)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
