"""/v1/watchlist: police liaison and supervisors add and remove; entries show masked."""

import pytest
from accounts_support import bearer, make_app

ENTRY = {
    "id_type": "resident_id",
    "id_number": "34010419800101123X",
    "reference": "PSB-HF-001/2026/77",
    "reason": "mule account ring",
}


@pytest.fixture
def client(database_url):
    app = make_app(database_url)
    yield app.test_client()
    app.extensions["warden"].engine.dispose()


def test_an_entry_is_added_shown_masked_and_removed_once(client):
    response = client.post("/v1/watchlist", json=ENTRY, headers=bearer("police_liaison", "pl-1"))
    assert response.status_code == 201
    entry = response.get_json()
    assert response.headers["Location"] == f"/v1/watchlist/{entry['id']}"
    assert entry["id_number"] == "3401**********123X"
    assert (entry["status"], entry["added_by"], entry["reference"]) == (
        "active",
        "pl-1",
        "PSB-HF-001/2026/77",
    )
    for role in ("supervisor", "police_liaison", "auditor"):
        shown = client.get(f"/v1/watchlist/{entry['id']}", headers=bearer(role))
        assert shown.get_json()["id_number"] == "3401**********123X"
    removed = client.delete(
        f"/v1/watchlist/{entry['id']}",
        json={"reason": "court cleared"},
        headers=bearer("supervisor"),
    )
    assert removed.status_code == 200
    assert (removed.get_json()["status"], removed.get_json()["removal_reason"]) == (
        "removed",
        "court cleared",
    )
    again = client.delete(f"/v1/watchlist/{entry['id']}", headers=bearer("supervisor"))
    assert again.status_code == 409
    history = client.get(f"/v1/watchlist/{entry['id']}/events", headers=bearer("auditor"))
    items = history.get_json()["items"]
    assert [e["type"] for e in items] == ["WatchlistEntryAdded", "WatchlistEntryRemoved"]
    assert items[0]["data"]["id_number"] == "3401**********123X"


def test_watchlist_validation_and_unknown_entries(client):
    response = client.post(
        "/v1/watchlist",
        json={"id_type": "resident_id", "id_number": "abc"},
        headers=bearer("supervisor"),
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"id_number", "reference"}
    assert client.get("/v1/watchlist/wl_nope", headers=bearer("auditor")).status_code == 404
    assert client.delete("/v1/watchlist/wl_nope", headers=bearer("supervisor")).status_code == 404


def test_idempotent_add_replays(client):
    headers = {**bearer("police_liaison"), "Idempotency-Key": "wl-1"}
    first = client.post("/v1/watchlist", json=ENTRY, headers=headers)
    again = client.post("/v1/watchlist", json=ENTRY, headers=headers)
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
