"""Idempotency-Key (DOMAIN §2): the first answer is the only answer, and nothing happens twice."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from web_support import bearer, event_count

from shared.db import write_transaction
from shared.schema import idempotency_keys
from shared.web import idempotency
from shared.web.problems import Problem


@pytest.fixture
def engine(notes_app):
    return notes_app.extensions["warden"].engine


def post(notes_client, body, key, role="teller", sub="t-1"):
    headers = {**bearer(role, sub=sub), "Idempotency-Key": key}
    return notes_client.post("/v1/notes/", json=body, headers=headers)


def test_same_key_and_body_replays_the_first_response_and_appends_once(notes_client, engine):
    first = post(notes_client, {"text": "hi"}, "k-1")
    again = post(notes_client, {"text": "hi"}, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.data == first.data
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert event_count(engine) == 1


def test_same_key_with_a_different_body_is_422(notes_client, engine):
    assert post(notes_client, {"text": "hi"}, "k-1").status_code == 201
    response = post(notes_client, {"text": "something else"}, "k-1")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert event_count(engine) == 1


def test_different_callers_with_the_same_key_are_independent(notes_client, engine):
    mine = post(notes_client, {"text": "hi"}, "shared-key", sub="t-1")
    yours = post(notes_client, {"text": "hi"}, "shared-key", sub="t-2")
    assert mine.status_code == yours.status_code == 201
    assert mine.get_json()["id"] != yours.get_json()["id"]
    assert event_count(engine) == 2


def test_requests_without_a_key_are_not_deduplicated(notes_client, engine):
    headers = bearer()
    for _ in range(2):
        assert (
            notes_client.post("/v1/notes/", json={"text": "hi"}, headers=headers).status_code == 201
        )
    assert event_count(engine) == 2


def test_validation_failure_is_remembered_under_its_key(notes_client, engine):
    first = post(notes_client, {"text": ""}, "k-bad")
    again = post(notes_client, {"text": ""}, "k-bad")
    assert first.status_code == again.status_code == 422
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/problem+json"


@pytest.mark.parametrize("key", ["", " k-1", "k-1 ", "k\t1", "clé", "k" * 201], ids=repr)
def test_a_key_is_1_to_200_printable_ascii_characters_with_no_space_at_the_ends(
    notes_client, engine, key
):
    response = post(notes_client, {"text": "hi"}, key)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert event_count(engine) == 0


@pytest.mark.parametrize("key", ["k", "a b", "~!{}", "k" * 200], ids=repr)
def test_a_key_may_hold_any_printable_ascii_and_inner_spaces(notes_client, engine, key):
    assert post(notes_client, {"text": "hi"}, key).status_code == 201
    assert post(notes_client, {"text": "hi"}, key).headers["Idempotent-Replayed"] == "true"
    assert event_count(engine) == 1


def test_a_refused_role_is_not_remembered_so_the_key_stays_usable(notes_client, engine):
    assert (
        post(notes_client, {"text": "hi"}, "k-role", role="auditor", sub="u-1").status_code == 403
    )
    assert (
        post(notes_client, {"text": "hi"}, "k-role", role="supervisor", sub="u-1").status_code
        == 201
    )
    assert event_count(engine) == 1


def test_key_claimed_without_a_stored_response_answers_409(notes_client, engine):
    """A claim committed with no answer (a streamed one is never stored): never redo it."""
    assert post(notes_client, {"text": "hi"}, "k-crash").status_code == 201
    with write_transaction(engine) as conn:
        conn.execute(update(idempotency_keys).values(status_code=None, response_body=None))
    response = post(notes_client, {"text": "hi"}, "k-crash")
    assert response.status_code == 409
    assert "in progress" in response.get_json(force=True)["detail"]
    assert event_count(engine) == 1


def test_records_older_than_a_day_are_forgotten_and_replaced(notes_client, engine, notes_app):
    assert post(notes_client, {"text": "hi"}, "k-old").status_code == 201
    state = notes_app.extensions["warden"]
    later = state.clock() + timedelta(hours=24, minutes=1)
    state.clock = lambda: later
    assert post(notes_client, {"text": "new body"}, "k-old").status_code == 201
    assert event_count(engine) == 2
    replay = post(notes_client, {"text": "new body"}, "k-old")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert event_count(engine) == 2


def test_concurrent_duplicates_take_effect_once(notes_app, engine):
    """Both requests pass the pre-check; the claim in the write transaction picks one winner."""
    both_checked = threading.Barrier(2, timeout=30)
    notes_app.config["BEFORE_EXECUTE"] = both_checked.wait
    statuses = []

    def send():
        statuses.append(post(notes_app.test_client(), {"text": "race"}, "k-race").status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert event_count(engine) == 1
    notes_app.config["BEFORE_EXECUTE"] = None
    replay = post(notes_app.test_client(), {"text": "race"}, "k-race")
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")


def test_a_not_yet_known_404_is_not_remembered_so_the_retry_goes_through(notes_app, engine):
    """DOMAIN §6: an account not heard of yet is a 404 that callers retry, with the same key."""
    client = notes_app.test_client()

    def not_yet():
        raise Problem(404, detail="No account acc-1 yet.")

    notes_app.config["BEFORE_EXECUTE"] = not_yet
    assert post(client, {"text": "hi"}, "k-later").status_code == 404
    notes_app.config["BEFORE_EXECUTE"] = None
    assert post(client, {"text": "hi"}, "k-later").status_code == 201
    assert event_count(engine) == 1


def post_raw(client, data: str, key: str, query: str = ""):
    headers = {**bearer(), "Idempotency-Key": key, "Content-Type": "application/json"}
    return client.post(f"/v1/notes/{query}", data=data, headers=headers)


def test_the_same_json_with_keys_in_another_order_and_spacing_is_the_same_request(
    notes_client, engine
):
    first = post_raw(notes_client, '{"text": "hi", "priority": 2}', "k-order")
    again = post_raw(notes_client, '{\n  "priority":2,\n  "text":"hi"\n}', "k-order")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data
    assert post_raw(notes_client, '{"priority": 3, "text": "hi"}', "k-order").status_code == 422
    assert event_count(engine) == 1


def test_a_body_that_is_not_json_is_compared_by_its_bytes(notes_client, engine):
    first = post_raw(notes_client, '{"text": "hi",}', "k-bad-json")
    again = post_raw(notes_client, '{"text": "hi",}', "k-bad-json")
    assert first.status_code == again.status_code == 400
    assert again.headers["Idempotent-Replayed"] == "true"
    assert post_raw(notes_client, '{"text":"hi",}', "k-bad-json").status_code == 422


def test_the_query_string_is_part_of_the_request(notes_client, engine):
    body = '{"text": "hi"}'
    assert post_raw(notes_client, body, "k-query", "?a=1&b=2").status_code == 201
    again = post_raw(notes_client, body, "k-query", "?b=2&a=1")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    other = post_raw(notes_client, body, "k-query", "?a=1&b=3")
    assert other.status_code == 422 and "different request" in other.get_json()["detail"]
    assert event_count(engine) == 1


def test_when_the_answer_cannot_be_stored_nothing_is_done_and_the_retry_does_it_once(
    notes_client, engine, monkeypatch
):
    """The store fails after the command ran: its effects go with it, not a 409 for a day."""
    real_save = idempotency._save

    def failing_save(*args):
        raise OSError("database went away")

    monkeypatch.setattr(idempotency, "_save", failing_save)
    failed = post(notes_client, {"text": "hi"}, "k-store")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    assert event_count(engine) == 0
    monkeypatch.setattr(idempotency, "_save", real_save)
    retry = post(notes_client, {"text": "hi"}, "k-store")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    replay = post(notes_client, {"text": "hi"}, "k-store")
    assert (replay.status_code, replay.data) == (201, retry.data)
    assert event_count(engine) == 1


def test_an_answer_that_is_not_remembered_keeps_no_effects(notes_app, engine):
    """A 409 after the command ran (here: from a hook) is retried, so the effects must go too."""

    @notes_app.after_request
    def refuse(response):  # runs before the idempotency layer's after_request
        if response.status_code == 201 and notes_app.config.get("REFUSE"):
            response.status_code = 409
        return response

    notes_app.config["REFUSE"] = True
    assert post(notes_app.test_client(), {"text": "hi"}, "k-409").status_code == 409
    assert event_count(engine) == 0
    notes_app.config["REFUSE"] = False
    assert post(notes_app.test_client(), {"text": "hi"}, "k-409").status_code == 201
    assert event_count(engine) == 1


# A process that runs the command and dies (os._exit: no cleanup, no rollback by Python) after
# the view answered and before the idempotency layer stored the answer.
CRASH = """
import os, sys
sys.path.insert(0, sys.argv[2])
from web_support import bearer, make_app
app = make_app(sys.argv[1])

@app.after_request
def die(response):  # registered last, so it runs before the idempotency layer's after_request
    assert response.status_code == 201
    os._exit(86)

headers = {**bearer(), "Idempotency-Key": "k-kill"}
app.test_client().post("/v1/notes/", json={"text": "hi"}, headers=headers)
"""


def test_a_process_killed_between_the_command_and_storing_its_answer_costs_nothing(
    database_url, notes_client, engine
):
    """The retry of a request whose process died mid-way is done once, not refused (409)."""
    tests = Path(__file__).resolve().parents[1]
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, database_url, str(tests)],
        cwd=tests.parent,
        env={**os.environ, "PYTHONPATH": str(tests.parent)},
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == 86, crashed.stderr.decode()
    retry = post(notes_client, {"text": "hi"}, "k-kill")
    assert retry.status_code == 201, retry.get_json()
    assert event_count(engine) == 1
    replay = post(notes_client, {"text": "hi"}, "k-kill")
    assert (replay.headers["Idempotent-Replayed"], replay.data) == ("true", retry.data)
