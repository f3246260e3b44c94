"""One JSON line per request, and a correlation id that follows the request into its events."""

import json
import logging

import pytest
from web_support import bearer, make_app


@pytest.fixture
def client(sqlite_url):
    app = make_app(sqlite_url)
    yield app.test_client()
    app.extensions["warden"].engine.dispose()


def request_lines(caplog) -> list[dict]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.startswith("warden")]
    return [line for line in lines if line.get("event") == "request"]


def test_each_request_logs_one_json_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="warden"):
        response = client.post("/v1/notes/", json={"text": "hi"}, headers=bearer(sub="t-5"))
    [line] = request_lines(caplog)
    assert line["method"] == "POST" and line["path"] == "/v1/notes/"
    assert line["status"] == 201 and line["sub"] == "t-5"
    assert isinstance(line["duration_ms"], float)
    assert line["correlation_id"] == response.headers["X-Correlation-Id"]


def test_given_correlation_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Correlation-Id": "story-1"})
    assert response.headers["X-Correlation-Id"] == "story-1"


def test_missing_or_unprintable_correlation_id_is_replaced(client):
    generated = client.get("/healthz").headers["X-Correlation-Id"]
    assert len(generated) == 26
    replaced = client.get("/healthz", headers={"X-Correlation-Id": "x" * 500})
    assert replaced.headers["X-Correlation-Id"] != "x" * 500


def test_failed_requests_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="warden"):
        client.get("/v1/notes/whoami")
    [line] = request_lines(caplog)
    assert (line["status"], line["sub"]) == (401, None)


def test_the_request_line_is_what_structlog_would_render(client, caplog):
    with caplog.at_level(logging.INFO, logger="warden"):
        response = client.get("/healthz")
    [record] = [r for r in caplog.records if r.getMessage().startswith('{"method"')]
    line = json.loads(record.getMessage())
    assert list(line) == [
        "method", "path", "status", "duration_ms", "correlation_id", "request_id", "sub",
        "event", "level", "timestamp",
    ]  # fmt: skip
    assert (line["path"], line["status"], line["sub"]) == ("/healthz", 200, None)
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert (line["event"], line["level"], record.levelno) == ("request", "info", logging.INFO)
    assert line["timestamp"].endswith("Z")
    assert record.name == "warden.notes.web"


def test_no_request_line_when_info_is_off(client, caplog):
    with caplog.at_level(logging.WARNING, logger="warden"):
        response = client.get("/healthz")
    assert response.headers["X-Correlation-Id"] and not request_lines(caplog)
