"""Every error the web layer gives is RFC 9457 problem+json, and none leaks internals."""

import json
import logging

import pytest
from web_support import bearer, make_app

PROBLEM = "application/problem+json"
BASE = "https://warden.example/problems/"


def assert_problem(response, status: int, kind: str | None) -> dict:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] == (BASE + kind if kind else "about:blank")
    assert body["title"] and body["detail"]
    return body


def test_unknown_route_is_a_404_problem(notes_client):
    assert_problem(notes_client.get("/nowhere"), 404, "not-found")
    assert_problem(notes_client.get("/v1/nowhere", headers=bearer()), 404, "not-found")


def test_unknown_id_raised_by_a_view_is_a_404_problem(notes_client):
    body = assert_problem(notes_client.get("/v1/notes/n-404", headers=bearer()), 404, "not-found")
    assert body["detail"] == "No note n-404."


def test_wrong_method_is_a_405_problem_with_allow_header(notes_client):
    response = notes_client.delete("/v1/notes/", headers=bearer())
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_a_413_problem(notes_client):
    response = notes_client.post("/v1/notes/", json={"text": "x" * 4000}, headers=bearer())
    assert_problem(response, 413, "body-too-large")


def test_non_json_body_is_a_415_problem(notes_client):
    response = notes_client.post(
        "/v1/notes/",
        data="text=hi",
        content_type="application/x-www-form-urlencoded",
        headers=bearer(),
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_malformed_json_is_a_400_problem(notes_client):
    response = notes_client.post(
        "/v1/notes/",
        data='{"text": "unterminated',
        content_type="application/json",
        headers=bearer(),
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "errors" not in body


def test_invalid_fields_are_a_422_problem_listing_each_field(notes_client):
    response = notes_client.post(
        "/v1/notes/", json={"text": "", "priority": 9, "colour": "red"}, headers=bearer()
    )
    body = assert_problem(response, 422, "validation-error")
    assert set(body["errors"]) == {"text", "priority", "colour"}
    assert all(isinstance(m, list) and m for m in body["errors"].values())


def test_missing_required_field_is_a_422_not_a_500(notes_client):
    response = notes_client.post("/v1/notes/", json={}, headers=bearer())
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == {"text": ["Missing data for required field."]}


def test_unexpected_exception_is_a_generic_500_and_logged_with_traceback(notes_client, caplog):
    with caplog.at_level(logging.INFO, logger="warden"):
        response = notes_client.post("/v1/notes/boom", headers=bearer())
    body = assert_problem(response, 500, "internal-error")
    text = response.get_data(as_text=True)
    for leak in ("kaboom", "hunter2", "Traceback", "RuntimeError", "/secret/path"):
        assert leak not in text
    assert set(body) == {"type", "title", "status", "detail"}
    logged = [json.loads(r.getMessage()) for r in caplog.records if "unhandled" in r.getMessage()]
    assert len(logged) == 1
    assert "Traceback" in logged[0]["exception"] and "kaboom" in logged[0]["exception"]


def test_openapi_documents_bearer_auth_and_swagger_ui_is_served(notes_client):
    document = notes_client.get("/openapi.json").get_json()
    assert document["info"]["title"] == "Warden notes"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operation = document["paths"]["/v1/notes/"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    responses = document["components"]["responses"]
    for status in ("401", "403", "422"):
        # Declared once, as a problem+json component, not described inline per operation.
        assert operation["responses"][status] == {"$ref": f"#/components/responses/Problem{status}"}
        problem = responses[f"Problem{status}"]["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
        assert problem["example"]["status"] == int(status)
    assert "/healthz" not in document["paths"]
    docs = notes_client.get("/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.data.lower()


def test_development_secret_is_announced_loudly(sqlite_url, caplog):
    from shared.config import DEV_JWT_SECRET

    with caplog.at_level(logging.WARNING, logger="warden"):
        notes_app = make_app(sqlite_url, jwt_secret=DEV_JWT_SECRET)
    notes_app.extensions["warden"].engine.dispose()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("development JWT secret in use" in r.getMessage() for r in warnings)


def test_short_jwt_secret_refuses_to_start(sqlite_url):
    with pytest.raises(ValueError, match="at least 32 bytes"):
        make_app(sqlite_url, jwt_secret="short")


def test_a_command_that_keeps_losing_its_race_is_a_409_problem(notes_client):
    response = notes_client.post("/v1/notes/race", headers=bearer())
    assert_problem(response, 409, "conflict")
