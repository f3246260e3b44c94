"""The running system: every service ready, authenticated, and restartable."""

import pytest


def test_every_service_is_ready_with_its_database_nats_and_relay(api):
    for name, client in api.items():
        body = client.http.get("/readyz").json()
        assert body["status"] == "ready", (name, body)
        assert all(check["ok"] for check in body["checks"].values())


def test_a_request_without_a_token_is_a_401_problem_everywhere(api):
    for client in api.values():
        response = client.http.get("/v1/anything")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("kind", ["web", "worker"])
def test_a_killed_process_restarts_and_the_service_is_ready_again(system, api, kind):
    system.restart("accounts", kind)
    assert api["accounts"].http.get("/readyz").json()["status"] == "ready"
    assert system.exited() == []
