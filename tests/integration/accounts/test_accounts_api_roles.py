"""Roles per endpoint (DOMAIN §3): every role not allowed gets 403, no token gets 401."""

import pytest
from accounts_support import ALL_ROLES, bearer, make_app

READERS = {"system", "teller", "investigator", "supervisor", "auditor"}
WRITERS = {"teller", "system"}
WATCHLIST_READERS = {"supervisor", "police_liaison", "auditor"}
WATCHLIST_WRITERS = {"police_liaison", "supervisor"}

# (method, path, roles allowed). Role checks come before the id is looked up or the body read.
ENDPOINTS = [
    ("POST", "/v1/customers", WRITERS),
    ("GET", "/v1/customers/cus_x", READERS),
    ("GET", "/v1/customers/cus_x/events", READERS),
    ("POST", "/v1/customers/cus_x/contact", WRITERS),
    ("POST", "/v1/accounts", WRITERS),
    ("GET", "/v1/accounts/acc_x", READERS),
    ("GET", "/v1/accounts/acc_x/events", READERS),
    ("POST", "/v1/accounts/acc_x/tier-overrides", {"supervisor"}),
    ("POST", "/v1/accounts/acc_x/tier-overrides/ovr_x/approval", {"supervisor"}),
    ("POST", "/v1/accounts/acc_x/restrictions", {"supervisor", "system"}),
    ("DELETE", "/v1/accounts/acc_x/restrictions/rst_x", {"supervisor"}),
    ("POST", "/v1/accounts/acc_x/closure", WRITERS),
    ("POST", "/v1/watchlist", WATCHLIST_WRITERS),
    ("GET", "/v1/watchlist/wl_x", WATCHLIST_READERS),
    ("DELETE", "/v1/watchlist/wl_x", WATCHLIST_WRITERS),
    ("GET", "/v1/watchlist/wl_x/events", WATCHLIST_READERS),
]


@pytest.fixture
def client(database_url):
    app = make_app(database_url)
    yield app.test_client()
    app.extensions["warden"].engine.dispose()


def call(client, method, path, headers):
    body = {} if method in ("POST", "DELETE") else None
    return client.open(path, method=method, json=body, headers=headers)


def test_every_role_not_allowed_is_refused_with_403(client):
    refused = []
    for method, path, allowed in ENDPOINTS:
        for role in sorted(set(ALL_ROLES) - allowed):
            response = call(client, method, path, bearer(role))
            assert response.mimetype == "application/problem+json"
            refused.append((method, path, role, response.status_code))
    assert [r for r in refused if r[3] != 403] == []
    assert ("GET", "/v1/customers/cus_x", "police_liaison", 403) in refused


def test_every_allowed_role_gets_past_the_role_check(client):
    """Allowed callers get the endpoint's own answer (404 unknown id, 422 body), never 403."""
    for method, path, allowed in ENDPOINTS:
        for role in sorted(allowed):
            response = call(client, method, path, bearer(role))
            assert response.status_code in (404, 422), (method, path, role, response.get_json())


def test_no_token_is_401_everywhere(client):
    for method, path, _ in ENDPOINTS:
        response = call(client, method, path, {})
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
