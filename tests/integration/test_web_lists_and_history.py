"""Lists page newest first with an opaque cursor; every aggregate shows its own events."""

from web_support import bearer


def write(client, text):
    response = client.post("/v1/notes/", json={"text": text}, headers=bearer())
    assert response.status_code == 201
    return response.get_json()["id"]


def test_pages_run_newest_first_without_overlap_until_the_cursor_is_null(notes_client):
    ids = [write(notes_client, f"note {i}") for i in range(5)]
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = notes_client.get(f"/v1/notes/list{query}", headers=bearer("auditor")).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def test_an_empty_cursor_is_the_first_page(notes_client):
    ids = [write(notes_client, f"note {i}") for i in range(3)]
    body = notes_client.get("/v1/notes/list?limit=2&cursor=", headers=bearer()).get_json()
    assert [item["id"] for item in body["items"]] == sorted(ids, reverse=True)[:2]
    assert body["next_cursor"] is not None


def test_a_bad_limit_or_cursor_is_a_422_problem(notes_client):
    for query in ("?limit=0", "?limit=501", "?cursor=%%%"):
        response = notes_client.get(f"/v1/notes/list{query}", headers=bearer())
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"


def test_history_lists_the_aggregates_events_with_actor_and_hash(notes_client):
    note_id = write(notes_client, "hello")
    body = notes_client.get(f"/v1/notes/{note_id}/events", headers=bearer("auditor")).get_json()
    (event,) = body["items"]
    assert (event["type"], event["stream_id"], event["version"]) == ("NoteWritten", note_id, 1)
    assert event["actor"] == {"role": "teller", "sub": "t-1"}
    assert len(event["hash"]) == 64 and event["data"]["text"] == "hello"


def test_history_of_an_unknown_id_is_404(notes_client):
    response = notes_client.get("/v1/notes/nope/events", headers=bearer())
    assert response.status_code == 404
