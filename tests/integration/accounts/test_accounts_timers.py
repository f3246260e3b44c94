"""The worker's timers with an injected `now`: decay and expiry, each once when run twice."""

from datetime import timedelta

import pytest
from accounts_support import START, account_events, bearer, make_app, open_account, register


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def run_timer(app, name: str, now) -> int:
    state = app.extensions["warden"]
    (timer,) = [t for t in state.spec.timers if t.name == name]
    return timer.run(state.engine, state.settings, now)


def override(client, account_id: str, tier: str) -> None:
    path = f"/v1/accounts/{account_id}/tier-overrides"
    body = {"tier": tier, "reason": "test"}
    override_id = client.post(path, json=body, headers=bearer("supervisor", "s1")).get_json()["id"]
    response = client.post(f"{path}/{override_id}/approval", headers=bearer("supervisor", "s2"))
    assert response.status_code == 200


def restrict(client, account_id: str, type_: str, expires_at=None) -> dict:
    body = {"type": type_, "reason": "test", "expires_at": expires_at}
    response = client.post(
        f"/v1/accounts/{account_id}/restrictions", json=body, headers=bearer("system")
    )
    assert response.status_code == 201
    return response.get_json()


def tier_changes(app, account_id):
    return [e.data for e in account_events(app, account_id) if e.type == "RiskTierChanged"]


def test_decay_lowers_one_step_at_90_days_and_only_once(app, client):
    medium, frozen, restricted, low = (
        open_account(client, register(client, id_number=f"34010419800101000{n}")["id"])["id"]
        for n in range(4)
    )
    for account_id in (medium, frozen):
        override(client, account_id, "MEDIUM")
    override(client, restricted, "RESTRICTED")
    restrict(client, frozen, "freeze")
    assert run_timer(app, "tier-decay", START + timedelta(days=89, hours=23)) == 0
    at = START + timedelta(days=90)
    assert run_timer(app, "tier-decay", at) == 1
    assert run_timer(app, "tier-decay", at) == 0
    decayed = tier_changes(app, medium)[-1]
    assert (decayed["from_tier"], decayed["to_tier"], decayed["reasons"]) == (
        "MEDIUM",
        "LOW",
        ["NO_HOLD_90_DAYS"],
    )
    assert decayed["source"]["kind"] == "decay"
    for account_id, tier in ((frozen, "MEDIUM"), (restricted, "RESTRICTED"), (low, "LOW")):
        shown = client.get(f"/v1/accounts/{account_id}", headers=bearer()).get_json()
        assert shown["risk_tier"] == tier
    assert len(tier_changes(app, medium)) == 2  # the override and the one decay
    assert run_timer(app, "tier-decay", START + timedelta(days=400)) == 0  # now LOW


def test_expired_restrictions_are_lifted_once_as_system(app, client):
    account_id = open_account(client, register(client)["id"])["id"]
    expiring = restrict(client, account_id, "stop_payment", "2026-11-09T02:00:00Z")
    permanent = restrict(client, account_id, "freeze")
    assert run_timer(app, "restriction-expiry", START + timedelta(days=6)) == 0
    at = START + timedelta(days=7)
    assert run_timer(app, "restriction-expiry", at) == 1
    assert run_timer(app, "restriction-expiry", at) == 0
    lifts = [e for e in account_events(app, account_id) if e.type == "AccountRestrictionLifted"]
    (lift,) = lifts
    assert lift.data["restriction_id"] == expiring["id"] and lift.data["reason"] == "expired"
    assert lift.metadata["actor"]["role"] == "system"
    shown = client.get(f"/v1/accounts/{account_id}", headers=bearer()).get_json()
    assert [r["id"] for r in shown["restrictions"]] == [permanent["id"]]
