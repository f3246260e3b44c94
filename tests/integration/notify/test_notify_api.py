"""Notify's endpoints on SQLite and PostgreSQL: roles, validation, idempotency, lists, history."""

import pytest
from notify_support import Notify, account_opened, bearer, held, notify_settings
from sqlalchemy import func, select

from shared.db import read_transaction
from shared.eventstore import read_stream
from shared.schema import events

READERS = ["system", "investigator", "supervisor", "auditor"]


@pytest.fixture
def notify(database_url):
    service = Notify(notify_settings(database_url))
    service.register("c1")
    service.register("c2", preferred_language="en")
    yield service
    service.close()


@pytest.fixture
def client(notify):
    return notify.app.test_client()


def held_for(notify, customer_id) -> str:
    return f"ntf_{notify.deliver('WithdrawalHeld', held(customer_id)).event_id}"


def test_readers_see_a_notification_and_its_history(notify, client):
    notification_id = held_for(notify, "c1")
    notify.dispatch()
    for role in [*READERS, "teller"]:
        reply = client.get(f"/v1/notifications/{notification_id}", headers=bearer(role))
        assert reply.status_code == 200, role
    body = client.get(f"/v1/notifications/{notification_id}", headers=bearer("auditor")).get_json()
    assert body["id"] == notification_id and body["customer_id"] == "c1"
    assert (body["template"], body["channel"], body["language"]) == (
        "withdrawal_held",
        "log",
        "zh-CN",
    )
    assert (body["segment"], body["status"], body["attempts"]) == ("standard", "delivered", 1)
    assert body["source_event_type"] == "WithdrawalHeld"
    assert body["source_event_id"] == notification_id.removeprefix("ntf_")
    assert body["parts"] and "反诈热线" in body["body"]
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    history = client.get(f"/v1/notifications/{notification_id}/events", headers=bearer("auditor"))
    types = [event["type"] for event in history.get_json()["items"]]
    assert types == ["NotificationRequested", "NotificationSent", "NotificationDelivered"]


def test_police_liaisons_and_strangers_are_refused(notify, client):
    notification_id = held_for(notify, "c1")
    liaison = bearer("police_liaison", "p-1", police_unit="PSB-HF-001")
    for path in (f"/v1/notifications/{notification_id}", "/v1/notifications?customer_id=c1"):
        assert client.get(path, headers=liaison).status_code == 403
        assert client.get(path).status_code == 401
    assert (
        client.get(f"/v1/notifications/{notification_id}/events", headers=liaison).status_code
        == 403
    )


def test_unknown_ids_are_404(client):
    assert client.get("/v1/notifications/ntf_nope", headers=bearer()).status_code == 404
    assert client.get("/v1/notifications/ntf_nope/events", headers=bearer()).status_code == 404
    assert client.get("/v1/campaigns/nope", headers=bearer()).status_code == 404


def test_lists_filter_by_customer_and_status_newest_first_in_pages(notify, client):
    first = [held_for(notify, "c1") for _ in range(3)]
    other = held_for(notify, "c2")
    notify.register("c3")
    opt_out = {"education_opt_out": True}
    assert (
        client.post(
            "/v1/customers/c3/preferences", json=opt_out, headers=bearer("teller")
        ).status_code
        == 200
    )
    notify.deliver("AccountOpened", account_opened("c3"))  # its welcome tips: suppressed
    seen, cursor = [], None
    while True:
        query = "/v1/notifications?customer_id=c1&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=bearer("teller")).get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(first))
    everyone = client.get("/v1/notifications", headers=bearer("investigator")).get_json()
    assert len(everyone["items"]) == 5 and everyone["items"][1]["id"] == other
    suppressed = client.get("/v1/notifications?status=suppressed", headers=bearer()).get_json()
    assert [i["reason"] for i in suppressed["items"]] == ["opted_out"]
    notify.dispatch()
    delivered = client.get("/v1/notifications?status=delivered&customer_id=c2", headers=bearer())
    assert [i["id"] for i in delivered.get_json()["items"]] == [other]


def test_bad_list_arguments_are_422(client):
    for query in ("?status=lost", "?limit=0", "?limit=501", "?cursor=%%%", "?cursor=WyJ4Il0"):
        reply = client.get(f"/v1/notifications{query}", headers=bearer())
        assert reply.status_code == 422, query
        assert reply.mimetype == "application/problem+json"
    first = client.get("/v1/notifications?cursor=", headers=bearer())  # empty: the first page
    assert first.status_code == 200 and first.get_json()["items"] == []


def test_a_teller_lists_one_customers_notifications_only(client):
    teller = client.get("/v1/notifications", headers=bearer("teller"))
    assert teller.status_code == 403 and teller.mimetype == "application/problem+json"
    assert "customer_id" in teller.get_json()["detail"]
    assert (
        client.get("/v1/notifications?customer_id=c1", headers=bearer("teller")).status_code == 200
    )


def test_preferences_are_set_by_tellers_and_systems_only(client):
    body = {"education_opt_out": True, "channels": ["email", "sms"]}
    for role in ("teller", "system"):
        reply = client.post("/v1/customers/c1/preferences", json=body, headers=bearer(role))
        assert reply.status_code == 200, role
    assert reply.get_json() == {
        "id": "c1",
        "customer_id": "c1",
        "education_opt_out": True,
        "channels": ["email", "sms"],
    }
    for role in ("supervisor", "investigator", "auditor", "police_liaison"):
        claims = {"police_unit": "PSB-HF-001"} if role == "police_liaison" else {}
        reply = client.post(
            "/v1/customers/c1/preferences", json=body, headers=bearer(role, **claims)
        )
        assert reply.status_code == 403, role


def test_preferences_validate_their_body(client):
    cases = [
        ({}, "education_opt_out"),
        ({"education_opt_out": "yes"}, "education_opt_out"),
        ({"education_opt_out": False, "channels": ["fax"]}, "channels.0"),
        ({"education_opt_out": False, "channels": ["sms", "sms"]}, "channels"),
        ({"education_opt_out": False, "channels": []}, "channels"),
    ]
    for body, field in cases:
        reply = client.post("/v1/customers/c1/preferences", json=body, headers=bearer("teller"))
        assert reply.status_code == 422, body
        assert field in reply.get_json()["errors"], reply.get_json()
    unknown = client.post(
        "/v1/customers/nobody/preferences",
        json={"education_opt_out": True},
        headers=bearer("teller"),
    )
    assert unknown.status_code == 404


def test_preferences_honour_idempotency_keys(notify, client):
    headers = {**bearer("teller"), "Idempotency-Key": "pref-1"}
    first = client.post(
        "/v1/customers/c1/preferences", json={"education_opt_out": True}, headers=headers
    )
    again = client.post(
        "/v1/customers/c1/preferences", json={"education_opt_out": True}, headers=headers
    )
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data
    changed = [e for e in notify.events("contact-c1") if e.type == "ContactPreferencesChanged"]
    assert len(changed) == 1
    other = client.post(
        "/v1/customers/c1/preferences", json={"education_opt_out": False}, headers=headers
    )
    assert other.status_code == 422
    history = client.get("/v1/customers/c1/events", headers=bearer("auditor")).get_json()
    assert [e["type"] for e in history["items"]] == [
        "ContactDetailsRecorded",
        "ContactPreferencesChanged",
    ]
    assert client.get("/v1/customers/c1/events", headers=bearer("teller")).status_code == 403


def test_campaigns_are_started_by_supervisors_and_read_by_auditors(notify, client):
    body = {"template": "fraud_tips", "segment": "standard"}
    for role in ("investigator", "teller", "auditor", "system"):
        assert client.post("/v1/campaigns", json=body, headers=bearer(role)).status_code == 403
    reply = client.post("/v1/campaigns", json=body, headers=bearer("supervisor", "sup-1"))
    assert reply.status_code == 201
    campaign = reply.get_json()
    assert reply.headers["Location"] == f"/v1/campaigns/{campaign['id']}"
    assert (campaign["status"], campaign["recipients"], campaign["pending"]) == ("running", 2, 2)
    assert campaign["started_by"] == "sup-1"
    for role in ("supervisor", "auditor"):
        assert (
            client.get(f"/v1/campaigns/{campaign['id']}", headers=bearer(role)).status_code == 200
        )
    assert (
        client.get(f"/v1/campaigns/{campaign['id']}", headers=bearer("teller")).status_code == 403
    )
    notify.fan_out()
    done = client.get(f"/v1/campaigns/{campaign['id']}", headers=bearer("auditor")).get_json()
    assert (done["status"], done["requested"], done["suppressed"], done["pending"]) == (
        "completed",
        2,
        0,
        0,
    )
    assert done["completed_at"].endswith("Z")
    history = client.get(f"/v1/campaigns/{campaign['id']}/events", headers=bearer("auditor"))
    assert [e["type"] for e in history.get_json()["items"]] == [
        "CampaignStarted",
        "CampaignCompleted",
    ]


def test_campaigns_send_only_education_templates_to_known_segments(client):
    cases = [
        ({"template": "withdrawal_held", "segment": "elderly"}, "template"),
        ({"template": "nonsense", "segment": "elderly"}, "template"),
        ({"template": "fraud_tips", "segment": "everyone"}, "segment"),
        ({"segment": "elderly"}, "template"),
    ]
    for body, field in cases:
        reply = client.post("/v1/campaigns", json=body, headers=bearer("supervisor"))
        assert reply.status_code == 422, body
        assert field in reply.get_json()["errors"]


def test_a_campaign_with_an_idempotency_key_starts_once(notify, client):
    headers = {**bearer("supervisor"), "Idempotency-Key": "campaign-1"}
    body = {"template": "welcome", "segment": "standard"}
    first = client.post("/v1/campaigns", json=body, headers=headers)
    again = client.post("/v1/campaigns", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    with read_transaction(notify.engine) as conn:
        started = conn.execute(
            select(func.count()).select_from(events).where(events.c.type == "CampaignStarted")
        ).scalar_one()
        assert started == 1
        assert read_stream(conn, first.get_json()["id"])[0].data["recipients"] == ["c1", "c2"]
    different = client.post(
        "/v1/campaigns", json={"template": "welcome", "segment": "elderly"}, headers=headers
    )
    assert different.status_code == 422


def test_an_empty_segment_completes_at_once(client):
    reply = client.post(
        "/v1/campaigns", json={"template": "fraud_tips", "segment": "student"}, headers=bearer()
    )
    assert reply.status_code == 201
    assert (reply.get_json()["status"], reply.get_json()["recipients"]) == ("completed", 0)
