"""Liveness, readiness (database and schema, never NATS) and Prometheus metrics."""

from datetime import UTC, datetime

import pytest
from flask import jsonify
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, text
from web_support import bearer, make_app

from shared import checkpoints
from shared.db import write_transaction
from shared.ports import free_port
from shared.schema import dead_letters


@pytest.fixture
def make(database_url):
    apps = []

    def build(**overrides):
        apps.append(make_app(database_url, **overrides))
        return apps[-1]

    yield build
    for app in apps:
        app.extensions["warden"].engine.dispose()


def samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_is_ok_even_when_dependencies_are_down(make):
    response = make().test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.mimetype == "application/json"


def test_healthz_answers_what_jsonify_would(make):
    app = make()
    with app.app_context():
        expected = jsonify(status="ok").get_data()
    assert app.test_client().get("/healthz").get_data() == expected


def test_readyz_checks_the_database_and_schema_and_never_nats(make):
    """The web never talks to NATS: an outage there must not take the API out of the balancer."""
    response = make(nats_url=f"nats://127.0.0.1:{free_port()}").test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "schema"}
    assert body["checks"]["schema"]["ok"] is True


def test_readyz_is_503_when_a_table_is_missing(make):
    app = make()
    with write_transaction(app.extensions["warden"].engine) as conn:
        conn.execute(text("DROP TABLE notes"))
    response = app.test_client().get("/readyz")
    schema = response.get_json()["checks"]["schema"]
    assert response.status_code == 503
    assert (schema["ok"], schema["table"]) == (False, "notes")


def test_readyz_stays_200_while_the_relay_lags_and_the_lag_is_a_metric(make):
    app = make()
    client = app.test_client()
    assert client.post("/v1/notes/", json={"text": "hi"}, headers=bearer()).status_code == 201
    assert client.get("/readyz").status_code == 200
    assert samples(client)[("warden_relay_lag_events", ())] == 1
    with write_transaction(app.extensions["warden"].engine) as conn:
        checkpoints.put(conn, "relay", 1)
    assert samples(client)[("warden_relay_lag_events", ())] == 0


def test_metrics_expose_store_gauges_and_unresolved_dead_letters(make):
    app = make()
    client = app.test_client()
    assert client.post("/v1/notes/", json={"text": "hi"}, headers=bearer()).status_code == 201
    now = datetime.now(UTC)
    row = {"subject": "s", "payload": b"{}", "error": "boom", "attempts": 5, "created_at": now}
    with write_transaction(app.extensions["warden"].engine) as conn:
        for letter in ("d1", "d2"):
            conn.execute(insert(dead_letters).values(id=letter, consumer="cases", **row))
        conn.execute(insert(dead_letters).values(id="d3", consumer="old", resolved_at=now, **row))
    found = samples(client)
    assert found[("warden_log_head_position", ())] == 1
    assert found[("warden_relay_lag_events", ())] == 1
    assert found[("warden_dead_letters", (("consumer", "cases"),))] == 2
    assert found[("warden_dead_letters", (("consumer", "old"),))] == 0


def test_metrics_count_requests_by_route_template_and_status(make):
    client = make().test_client()
    client.get("/v1/notes/n-1", headers=bearer())
    client.get("/v1/notes/n-2", headers=bearer())
    found = samples(client)
    key = (("endpoint", "/v1/notes/<note_id>"), ("method", "GET"), ("status", "404"))
    assert found[("warden_http_requests_total", key)] == 2


def test_each_app_has_its_own_registry(make):
    first, second = make().test_client(), make().test_client()
    first.get("/healthz")
    key = (("endpoint", "/healthz"), ("method", "GET"), ("status", "200"))
    assert samples(first)[("warden_http_requests_total", key)] == 1
    assert ("warden_http_requests_total", key) not in samples(second)


def test_metrics_count_each_status_of_a_route_apart(make):
    client = make().test_client()
    for _ in range(3):
        client.get("/v1/notes/whoami")  # 401: no token
    client.get("/v1/notes/whoami", headers=bearer())
    found = samples(client)
    key = (("endpoint", "/v1/notes/whoami"), ("method", "GET"))
    assert found[("warden_http_requests_total", (*key, ("status", "401")))] == 3
    assert found[("warden_http_requests_total", (*key, ("status", "200")))] == 1
    assert found[("warden_http_request_duration_seconds_count", key)] == 4


def test_repeated_requests_leave_the_apps_per_function_cache_as_it_was(make):
    """A MethodView's method is bound anew on every request; the cache keys its function."""
    app = make()
    client = app.test_client()

    def requests():
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/notes/", json={"text": "hi"}, headers=bearer()).status_code == 201

    requests()
    known = len(app._is_coroutine)
    for _ in range(5):
        requests()
    assert len(app._is_coroutine) == known
