"""Every /v1 endpoint wants a valid bearer token, and each view admits only its roles."""

from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select
from web_support import SECRET, bearer

from shared.db import read_transaction
from shared.schema import events
from shared.tokens import mint_token

BASE = "https://warden.example/problems/"


def assert_401(response):
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["type"] == BASE + "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_token_is_401(notes_client):
    assert_401(notes_client.get("/v1/notes/whoami"))
    assert_401(notes_client.post("/v1/notes/", json={"text": "hi"}))


def test_token_signed_with_another_secret_is_401(notes_client):
    forged = bearer(secret="another-secret-that-is-long-enough-too!")
    assert_401(notes_client.get("/v1/notes/whoami", headers=forged))


def test_expired_token_is_401(notes_client):
    an_hour_ago = datetime.now(UTC) - timedelta(hours=2)
    token = mint_token(SECRET, "t-1", "teller", ttl_seconds=3600, now=an_hour_ago)
    response = notes_client.get("/v1/notes/whoami", headers={"Authorization": f"Bearer {token}"})
    assert_401(response)
    assert "expired" in response.get_json(force=True)["detail"]


def test_token_with_unknown_role_is_401(notes_client):
    token = jwt.encode(
        {"sub": "x", "role": "root", "exp": datetime.now(UTC) + timedelta(hours=1)}, SECRET
    )
    assert_401(notes_client.get("/v1/notes/whoami", headers={"Authorization": f"Bearer {token}"}))


def test_non_bearer_scheme_is_401(notes_client):
    assert_401(notes_client.get("/v1/notes/whoami", headers={"Authorization": "Basic dTpw"}))


def test_unknown_v1_route_without_token_is_401_not_404(notes_client):
    assert_401(notes_client.get("/v1/secret-things"))


def test_role_not_allowed_is_403_and_changes_nothing(notes_client, notes_app):
    response = notes_client.post("/v1/notes/", json={"text": "hi"}, headers=bearer("auditor"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["type"] == BASE + "forbidden"
    with read_transaction(notes_app.extensions["warden"].engine) as conn:
        assert conn.execute(select(events)).first() is None


def test_role_check_comes_before_body_validation(notes_client):
    response = notes_client.post("/v1/notes/", json={"nonsense": 1}, headers=bearer("investigator"))
    assert response.status_code == 403


def test_current_actor_carries_the_jurisdiction_claims(notes_client):
    headers = bearer("police_liaison", sub="p-7", police_unit="PSB-HF-001")
    assert notes_client.get("/v1/notes/whoami", headers=headers).get_json() == {
        "sub": "p-7",
        "role": "police_liaison",
        "police_unit": "PSB-HF-001",
        "branch_id": None,
    }


def test_events_are_stamped_with_the_caller_and_correlation_id(notes_client, notes_app):
    headers = {
        **bearer("teller", sub="t-9", branch_id="b-1"),
        "X-Correlation-Id": "story-42",
        "Idempotency-Key": "k-stamp",
    }
    assert notes_client.post("/v1/notes/", json={"text": "hi"}, headers=headers).status_code == 201
    with read_transaction(notes_app.extensions["warden"].engine) as conn:
        metadata = conn.execute(select(events.c.metadata)).scalar_one()
    assert metadata["actor"] == {"role": "teller", "sub": "t-9"}
    assert metadata["correlation_id"] == "story-42"
    assert metadata["causation_id"] == "k-stamp"


def test_health_metrics_and_docs_need_no_token(notes_client):
    for path in ("/healthz", "/metrics", "/openapi.json", "/docs"):
        assert notes_client.get(path).status_code == 200, path
