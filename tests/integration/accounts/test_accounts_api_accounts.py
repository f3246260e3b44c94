"""POST/GET /v1/accounts: due diligence through HTTP, branches, overrides, restrictions, closure."""

from datetime import timedelta

import pytest
from accounts_support import (
    BRANCH,
    OTHER_BRANCH,
    account_body,
    bearer,
    make_app,
    open_account,
    register,
)

from shared import eventstore


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def customer_id(client):
    return register(client)["id"]


def history_types(client, account_id, role="auditor"):
    body = client.get(f"/v1/accounts/{account_id}/events", headers=bearer(role)).get_json()
    return [e["type"] for e in body["items"]]


def test_a_clean_opening_is_active_at_low(client, customer_id):
    response = client.post("/v1/accounts", json=account_body(customer_id), headers=bearer())
    assert response.status_code == 201
    account = response.get_json()
    assert response.headers["Location"] == f"/v1/accounts/{account['id']}"
    assert account["status"] == "active" and account["flags"] == []
    assert account["risk_tier"] == "LOW"
    assert account["limits"] == {"per_transaction": "50000.00", "daily": "200000.00"}
    assert account["verification_method"] == "sms_otp"
    assert account["branch_id"] == BRANCH and account["restrictions"] == []
    assert account["opened_at"] == "2026-11-02T02:00:00.000000Z"
    assert history_types(client, account["id"]) == ["AccountOpened"]


def test_an_unsigned_employment_proof_is_referred_for_review(client, customer_id):
    documents = [{"type": "employment_proof", "employer": "Hefei Tech Co"}]
    account = open_account(client, customer_id, documents=documents)
    assert account["status"] == "pending_review"
    assert account["flags"] == ["EMPLOYMENT_PROOF_UNSIGNED"]
    events = client.get(f"/v1/accounts/{account['id']}/events", headers=bearer()).get_json()
    (referred,) = events["items"]
    assert referred["type"] == "AccountOpeningReferred"
    assert referred["data"]["opened_by"] == "teller-1"
    assert referred["data"]["customer_name_initial"] == "王*"


def test_the_third_opening_within_30_days_is_referred(app, client, customer_id):
    clock = app.extensions["warden"].clock
    open_account(client, customer_id)
    clock.now += timedelta(days=1)
    assert open_account(client, customer_id)["status"] == "active"  # one before: no flag
    clock.now += timedelta(days=1)
    third = open_account(client, customer_id)
    assert third["flags"] == ["MULTIPLE_RECENT_ACCOUNTS"]
    clock.now += timedelta(days=30)  # the first two fall out of the window; the third stays
    assert open_account(client, customer_id)["status"] == "active"


def test_a_watchlisted_customer_is_refused_at_once(client, customer_id):
    entry = {"id_type": "resident_id", "id_number": "340104198001011234", "reference": "PSB-7"}
    added = client.post("/v1/watchlist", json=entry, headers=bearer("police_liaison"))
    assert added.status_code == 201
    account = open_account(client, customer_id, purpose="other", purpose_detail="")
    assert account["status"] == "refused"
    assert account["flags"] == ["PURPOSE_UNCLEAR", "WATCHLISTED"]
    assert history_types(client, account["id"]) == ["AccountOpeningRefused"]
    shown = client.get(f"/v1/accounts/{account['id']}", headers=bearer())
    assert shown.status_code == 200  # the teller's branch is kept for a refusal too
    # Refused openings do not count as recent accounts.
    client.delete(f"/v1/watchlist/{added.get_json()['id']}", headers=bearer("supervisor"))
    open_account(client, customer_id)
    assert open_account(client, customer_id)["status"] == "active"


def test_an_unknown_customer_is_404_and_bad_fields_are_422(client):
    response = client.post("/v1/accounts", json=account_body("cus_nope"), headers=bearer())
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "No such customer."
    body = account_body("cus_x", account_class="IV", channel="fax", documents=[{"type": "x"}])
    errors = client.post("/v1/accounts", json=body, headers=bearer()).get_json()["errors"]
    assert set(errors) == {"account_class", "channel", "documents.0.type"}


def test_the_body_names_the_branch_and_a_teller_only_their_own(app, client, customer_id):
    def log_length() -> int:
        return len(list(eventstore.read_all(app.extensions["warden"].engine)))

    before = log_length()
    body = account_body(customer_id, branch_id=OTHER_BRANCH)
    refused = client.post("/v1/accounts", json=body, headers=bearer())
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    no_branch = bearer("teller", "t-2", branch_id=None)
    assert (
        client.post("/v1/accounts", json=account_body(customer_id), headers=no_branch).status_code
        == 403
    )
    assert log_length() == before  # nothing opened
    for headers in (bearer(), bearer("system")):
        unnamed = account_body(customer_id)
        del unnamed["branch_id"]
        missing = client.post("/v1/accounts", json=unnamed, headers=headers)
        assert missing.status_code == 422
        assert missing.get_json()["errors"] == {"branch_id": ["Missing data for required field."]}
        null = client.post(
            "/v1/accounts", json=account_body(customer_id, branch_id=None), headers=headers
        )
        assert null.status_code == 422 and "branch_id" in null.get_json()["errors"]
    assert open_account(client, customer_id)["branch_id"] == BRANCH
    account = open_account(client, customer_id, headers=bearer("system"), branch_id=OTHER_BRANCH)
    assert account["branch_id"] == OTHER_BRANCH


def test_tellers_see_only_their_branchs_accounts(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    other = bearer("teller", "t-2", branch_id=OTHER_BRANCH)
    for path in (f"/v1/accounts/{account_id}", f"/v1/accounts/{account_id}/events"):
        assert client.get(path, headers=other).status_code == 404
        assert client.get(path, headers=bearer()).status_code == 200
        for role in ("investigator", "supervisor", "auditor", "system"):
            assert client.get(path, headers=bearer(role)).status_code == 200
    closure = client.post(f"/v1/accounts/{account_id}/closure", json={"reason": "x"}, headers=other)
    assert closure.status_code == 404


def test_idempotent_opening_replays_and_opens_once(client, customer_id):
    headers = {**bearer(), "Idempotency-Key": "open-1"}
    first = client.post("/v1/accounts", json=account_body(customer_id), headers=headers)
    again = client.post("/v1/accounts", json=account_body(customer_id), headers=headers)
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    # Had it opened twice, a third opening would be flagged MULTIPLE_RECENT_ACCOUNTS.
    assert open_account(client, customer_id)["status"] == "active"


def test_tier_override_needs_a_second_supervisor(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    path = f"/v1/accounts/{account_id}/tier-overrides"
    response = client.post(
        path, json={"tier": "HIGH", "reason": "intel"}, headers=bearer("supervisor", "sup-1")
    )
    assert response.status_code == 201
    override = response.get_json()
    assert override["status"] == "pending" and override["requested_by"] == "sup-1"
    approval = f"{path}/{override['id']}/approval"
    same = client.post(approval, headers=bearer("supervisor", "sup-1"))
    assert same.status_code == 403
    other = client.post(approval, headers=bearer("supervisor", "sup-2"))
    assert other.status_code == 200 and other.get_json()["status"] == "applied"
    account = client.get(f"/v1/accounts/{account_id}", headers=bearer()).get_json()
    assert account["risk_tier"] == "HIGH"
    assert account["limits"] == {"per_transaction": "5000.00", "daily": "10000.00"}
    assert client.post(approval, headers=bearer("supervisor", "sup-3")).status_code == 409
    assert history_types(client, account_id)[-2:] == [
        "RiskTierOverrideRequested",
        "RiskTierChanged",
    ]
    missing = client.post(f"{path}/ovr_nope/approval", headers=bearer("supervisor", "sup-2"))
    assert missing.status_code == 404
    already = client.post(
        path, json={"tier": "HIGH", "reason": "again"}, headers=bearer("supervisor")
    )
    assert already.status_code == 409 and already.mimetype == "application/problem+json"
    assert already.get_json()["detail"] == "The account is already HIGH."
    bad = client.post(path, json={"tier": "GOLD"}, headers=bearer("supervisor"))
    assert set(bad.get_json()["errors"]) == {"tier", "reason"}


def test_restrictions_are_lifted_only_by_another_supervisor(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    body = {
        "type": "stop_payment",
        "reason": "customer reported a lost card",
        "expires_at": "2026-11-09T00:00:00Z",
        "source": {"kind": "police", "id": "PR-2026-1"},
    }
    response = client.post(
        f"/v1/accounts/{account_id}/restrictions", json=body, headers=bearer("supervisor", "s1")
    )
    assert response.status_code == 201
    restriction = response.get_json()
    assert restriction["requested_by"] == "s1"
    assert restriction["expires_at"] == "2026-11-09T00:00:00.000000Z"
    assert restriction["source"] == {"kind": "police", "id": "PR-2026-1"}
    account = client.get(f"/v1/accounts/{account_id}", headers=bearer()).get_json()
    assert [r["id"] for r in account["restrictions"]] == [restriction["id"]]
    lift = f"/v1/accounts/{account_id}/restrictions/{restriction['id']}"
    assert client.delete(lift, headers=bearer("supervisor", "s1")).status_code == 403
    lifted = client.delete(lift, json={"reason": "card found"}, headers=bearer("supervisor", "s2"))
    assert lifted.status_code == 200 and lifted.get_json()["restrictions"] == []
    assert client.delete(lift, headers=bearer("supervisor", "s3")).status_code == 409
    events = client.get(f"/v1/accounts/{account_id}/events", headers=bearer()).get_json()
    assert events["items"][-1]["data"]["reason"] == "card found"


def test_a_system_restriction_defaults_its_source_to_the_caller(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    response = client.post(
        f"/v1/accounts/{account_id}/restrictions",
        json={"type": "freeze", "reason": "core banking alert"},
        headers=bearer("system", "core-banking"),
    )
    assert response.get_json()["source"] == {"kind": "staff", "id": "core-banking"}


def test_restriction_input_is_validated(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    path = f"/v1/accounts/{account_id}/restrictions"
    bad = {"type": "lock", "expires_at": "2026-11-09", "source": {"kind": "rumour"}}
    errors = client.post(path, json=bad, headers=bearer("supervisor")).get_json()["errors"]
    assert set(errors) == {"type", "reason", "expires_at", "source.kind", "source.id"}
    past = {"type": "freeze", "reason": "x", "expires_at": "2026-11-01T00:00:00Z"}
    response = client.post(path, json=past, headers=bearer("supervisor"))
    assert response.status_code == 422 and "expires_at" in response.get_json()["errors"]
    unknown = client.post(
        "/v1/accounts/acc_nope/restrictions",
        json={"type": "freeze", "reason": "x"},
        headers=bearer("supervisor"),
    )
    assert unknown.status_code == 404


def test_closure_once(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    path = f"/v1/accounts/{account_id}/closure"
    response = client.post(path, json={"reason": "customer request"}, headers=bearer())
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert client.post(path, json={"reason": "again"}, headers=bearer()).status_code == 409
    assert client.post(path, json={}, headers=bearer()).status_code == 422


def test_idempotent_override_request_replays(client, customer_id):
    account_id = open_account(client, customer_id)["id"]
    headers = {**bearer("supervisor", "s1"), "Idempotency-Key": "ovr-1"}
    body = {"tier": "MEDIUM", "reason": "pattern"}
    path = f"/v1/accounts/{account_id}/tier-overrides"
    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)
    assert again.data == first.data
    assert history_types(client, account_id).count("RiskTierOverrideRequested") == 1
