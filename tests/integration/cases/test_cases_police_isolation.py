"""Police liaison see only their own unit's requests, masked, and every look is on the record."""

from cases_support import (
    AUDITOR,
    INVESTIGATOR,
    LIAISON_1,
    LIAISON_2,
    SUPERVISOR,
    case_events,
    deliver,
    withdrawal_held,
)

from services.cases.opening import case_id_for

CONFIRMATION = {"outcome": "cleared", "police_reference": "R-9", "officer": "O", "notes": "ok"}


def sent_to_police(client, engine, unit: str, withdrawal_id: str) -> tuple[str, str]:
    held = withdrawal_held(withdrawal_id=withdrawal_id, account_id=f"acc_{withdrawal_id}")
    deliver(engine, "withdrawals", held)
    case_id = case_id_for(held["event_id"])
    client.post(f"/v1/cases/{case_id}/claim", headers=INVESTIGATOR)
    request = client.post(
        f"/v1/cases/{case_id}/verification-requests",
        json={"police_unit": unit, "summary": f"Investigator summary for {withdrawal_id}"},
        headers=INVESTIGATOR,
    ).get_json()
    return case_id, request["id"]


def views(engine, case_id: str) -> list[dict]:
    return [e.data for e in case_events(engine, case_id) if e.type == "CaseViewedByPolice"]


def test_lists_show_each_unit_its_own_requests_only(client, engine):
    case_1, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    case_2, ver_2 = sent_to_police(client, engine, "PSB-HF-002", "wd_2")
    mine = client.get("/v1/verifications", headers=LIAISON_1).get_json()["items"]
    theirs = client.get("/v1/verifications", headers=LIAISON_2).get_json()["items"]
    assert [item["id"] for item in mine] == [ver_1]
    assert [item["id"] for item in theirs] == [ver_2]
    assert views(engine, case_1) == [
        {
            "case_id": case_1,
            "verification_id": ver_1,
            "police_unit": "PSB-HF-001",
            "viewer": "p-001",
        }
    ]
    assert [v["viewer"] for v in views(engine, case_2)] == ["p-002"]


def test_reading_another_units_request_is_404_and_records_nothing_on_it(client, engine):
    _, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    case_2, ver_2 = sent_to_police(client, engine, "PSB-HF-002", "wd_2")
    assert client.get(f"/v1/verifications/{ver_2}", headers=LIAISON_1).status_code == 404
    assert client.get("/v1/verifications/ver_unknown", headers=LIAISON_1).status_code == 404
    assert client.get(f"/v1/verifications/{ver_1}", headers=LIAISON_1).status_code == 200
    assert views(engine, case_2) == []


def test_confirming_another_units_request_is_404_and_changes_nothing(client, engine):
    case_2, ver_2 = sent_to_police(client, engine, "PSB-HF-002", "wd_2")
    before = case_events(engine, case_2)
    response = client.post(
        f"/v1/verifications/{ver_2}/confirmation", json=CONFIRMATION, headers=LIAISON_1
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert case_events(engine, case_2) == before
    own = client.post(
        f"/v1/verifications/{ver_2}/confirmation", json=CONFIRMATION, headers=LIAISON_2
    )
    assert own.status_code == 200


def test_the_liaison_sees_masked_identity_amount_reasons_and_the_summary_only(client, engine):
    case_1, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    response = client.get(f"/v1/verifications/{ver_1}", headers=LIAISON_1)
    seen = response.get_json()
    assert seen["customer"] == {
        "name_initial": "王*",
        "id_number_masked": "3401**********1234",
        "age": 68,
    }
    assert (seen["amount"], seen["currency"]) == ("80000.00", "CNY")
    assert seen["reasons"] == ["RISKY_PURPOSE", "ELDERLY_LARGE_CASH"]
    assert seen["summary"] == "Investigator summary for wd_1"
    assert set(seen) == {
        "id",
        "case_id",
        "police_unit",
        "status",
        "outcome",
        "requested_at",
        "summary",
        "customer",
        "amount",
        "currency",
        "reasons",
        "confirmation",
    }
    text = response.get_data(as_text=True)
    for hidden in ("cus_01", "acc_wd_1", "segment", "preferred_language", "decision", "phone"):
        assert hidden not in text
    assert [v["viewer"] for v in views(engine, case_1)] == ["p-001"]


def test_the_status_filter_separates_pending_from_confirmed(client, engine):
    _, ver_a = sent_to_police(client, engine, "PSB-HF-001", "wd_a")
    _, ver_b = sent_to_police(client, engine, "PSB-HF-001", "wd_b")
    client.post(f"/v1/verifications/{ver_a}/confirmation", json=CONFIRMATION, headers=LIAISON_1)
    pending = client.get("/v1/verifications?status=pending", headers=LIAISON_1).get_json()
    confirmed = client.get("/v1/verifications?status=confirmed", headers=LIAISON_1).get_json()
    assert [item["id"] for item in pending["items"]] == [ver_b]
    assert [item["id"] for item in confirmed["items"]] == [ver_a]
    assert confirmed["items"][0]["confirmation"]["police_reference"] == "R-9"
    bad = client.get("/v1/verifications?status=maybe", headers=LIAISON_1)
    assert bad.status_code == 422


def test_a_list_records_one_view_per_case_shown_and_pages_newest_first(client, engine):
    case_1, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    client.post(f"/v1/verifications/{ver_1}/confirmation", json=CONFIRMATION, headers=LIAISON_1)
    client.post(f"/v1/cases/{case_1}/reopening", json={"reason": "again"}, headers=SUPERVISOR)
    ver_again = client.post(
        f"/v1/cases/{case_1}/verification-requests",
        json={"police_unit": "PSB-HF-001", "summary": "second look"},
        headers=INVESTIGATOR,
    ).get_json()["id"]
    case_2, ver_2 = sent_to_police(client, engine, "PSB-HF-001", "wd_2")
    first = client.get("/v1/verifications?limit=2", headers=LIAISON_1).get_json()
    assert [item["id"] for item in first["items"]] == [ver_2, ver_again]
    rest = client.get(
        f"/v1/verifications?limit=2&cursor={first['next_cursor']}", headers=LIAISON_1
    ).get_json()
    assert [item["id"] for item in rest["items"]] == [ver_1]
    assert rest["next_cursor"] is None
    assert [v["verification_id"] for v in views(engine, case_1)] == [ver_again, ver_1]
    assert [v["verification_id"] for v in views(engine, case_2)] == [ver_2]


def test_the_case_timeline_shows_the_police_views(client, engine):
    case_1, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    client.get(f"/v1/verifications/{ver_1}", headers=LIAISON_1)
    timeline = client.get(f"/v1/cases/{case_1}", headers=INVESTIGATOR).get_json()["timeline"]
    assert timeline[-1] == {
        "at": timeline[-1]["at"],
        "actor": {"role": "police_liaison", "sub": "p-001"},
        "action": f"p-001 of PSB-HF-001 viewed verification {ver_1}",
        "event_type": "CaseViewedByPolice",
    }


def test_an_auditor_reads_every_units_requests_and_reading_records_nothing(client, engine):
    """DOMAIN §3: auditors read everything and change nothing, police requests included."""
    case_1, ver_1 = sent_to_police(client, engine, "PSB-HF-001", "wd_1")
    case_2, ver_2 = sent_to_police(client, engine, "PSB-HF-002", "wd_2")
    listed = client.get("/v1/verifications", headers=AUDITOR)
    assert listed.status_code == 200
    assert {item["id"] for item in listed.get_json()["items"]} == {ver_1, ver_2}
    one = client.get(f"/v1/verifications/{ver_2}", headers=AUDITOR)
    assert (one.status_code, one.get_json()["id"]) == (200, ver_2)
    assert views(engine, case_1) == views(engine, case_2) == []
    confirm = client.post(
        f"/v1/verifications/{ver_1}/confirmation", json=CONFIRMATION, headers=AUDITOR
    )
    assert confirm.status_code == 403
