"""DOMAIN §9 stories 2 and 4 as the cases service sees them, over its HTTP API."""

from cases_support import (
    INVESTIGATOR,
    LIAISON_1,
    LIAISON_2,
    case_events,
    deliver,
    withdrawal_held,
)

from services.cases.opening import case_id_for


def test_story_2_investigator_works_the_hold_and_the_liaison_confirms_fraud_victim(client, engine):
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    case_id = case_id_for(held["event_id"])

    opened = client.get(f"/v1/cases/{case_id}", headers=INVESTIGATOR).get_json()
    assert (opened["case_type"], opened["status"]) == ("police_verification", "open")
    assert opened["withdrawal_id"] == "wd_01"
    assert opened["sla_due_at"] == "2026-03-02T03:00:00.000000Z"  # 120 minutes from the hold

    claimed = client.post(f"/v1/cases/{case_id}/claim", json={}, headers=INVESTIGATOR)
    assert claimed.status_code == 200
    assert (claimed.get_json()["status"], claimed.get_json()["assignee"]) == (
        "in_progress",
        "i-007",
    )
    contact = {"channel": "in_person", "outcome": "customer_insists", "summary": "Says a friend"}
    assert (
        client.post(f"/v1/cases/{case_id}/contacts", json=contact, headers=INVESTIGATOR).status_code
        == 200
    )
    asked = client.post(
        f"/v1/cases/{case_id}/verification-requests",
        json={"police_unit": "PSB-HF-001", "summary": "Elderly, 'investment' for a stranger"},
        headers=INVESTIGATOR,
    )
    assert asked.status_code == 201
    request = asked.get_json()
    assert request["id"].startswith("ver_")
    assert (request["police_unit"], request["status"], request["outcome"]) == (
        "PSB-HF-001",
        "pending",
        None,
    )

    listed = client.get("/v1/verifications?status=pending", headers=LIAISON_1).get_json()
    assert [item["id"] for item in listed["items"]] == [request["id"]]
    confirmed = client.post(
        f"/v1/verifications/{request['id']}/confirmation",
        json={
            "outcome": "fraud_victim",
            "police_reference": "HF-2026-0042",
            "officer": "Officer Li",
            "notes": "Classic investment scam; customer informed.",
        },
        headers=LIAISON_1,
    )
    assert confirmed.status_code == 200
    assert (confirmed.get_json()["status"], confirmed.get_json()["outcome"]) == (
        "confirmed",
        "fraud_victim",
    )

    case = client.get(f"/v1/cases/{case_id}", headers=INVESTIGATOR).get_json()
    assert case["status"] == "resolved"
    assert case["resolution"]["outcome"] == "fraud_victim"
    assert case["verification_requests"] == [
        {
            "id": request["id"],
            "police_unit": "PSB-HF-001",
            "status": "confirmed",
            "outcome": "fraud_victim",
            "summary": "Elderly, 'investment' for a stranger",
            "requested_by": "i-007",
            "requested_at": case["verification_requests"][0]["requested_at"],
        }
    ]
    types = [event.type for event in case_events(engine, case_id)]
    assert types == [
        "CaseOpened",
        "CaseFactsRecorded",
        "CaseAssigned",
        "CustomerContactRecorded",
        "PoliceVerificationRequested",
        "CaseViewedByPolice",
        "PoliceVerificationConfirmed",
        "CaseResolved",
    ]
    confirmation = case_events(engine, case_id)[-2]
    assert confirmation.data == {
        "case_id": case_id,
        "verification_id": request["id"],
        "account_id": "acc_01",
        "withdrawal_id": "wd_01",
        "outcome": "fraud_victim",
        "police_reference": "HF-2026-0042",
        "officer": "Officer Li",
        "notes": "Classic investment scam; customer informed.",
    }
    assert confirmation.metadata["actor"] == {"role": "police_liaison", "sub": "p-001"}
    # Every event on the case, whoever caused it, follows the hold's story.
    stories = {event.metadata["correlation_id"] for event in case_events(engine, case_id)}
    assert stories == {held["correlation_id"]}
    assert case["timeline"][4]["action"] == "i-007 requested police verification from PSB-HF-001"


def test_story_4_another_unit_can_neither_see_nor_confirm_the_request(client, engine):
    held = withdrawal_held()
    deliver(engine, "withdrawals", held)
    case_id = case_id_for(held["event_id"])
    client.post(f"/v1/cases/{case_id}/claim", json={}, headers=INVESTIGATOR)
    request = client.post(
        f"/v1/cases/{case_id}/verification-requests",
        json={"police_unit": "PSB-HF-001", "summary": "please verify"},
        headers=INVESTIGATOR,
    ).get_json()

    assert client.get("/v1/verifications", headers=LIAISON_2).get_json()["items"] == []
    seen = client.get(f"/v1/verifications/{request['id']}", headers=LIAISON_2)
    assert seen.status_code == 404
    confirm = client.post(
        f"/v1/verifications/{request['id']}/confirmation",
        json={"outcome": "cleared", "police_reference": "X-1", "officer": "O", "notes": ""},
        headers=LIAISON_2,
    )
    assert confirm.status_code == 404
    types = [event.type for event in case_events(engine, case_id)]
    assert "CaseViewedByPolice" not in types and "PoliceVerificationConfirmed" not in types
