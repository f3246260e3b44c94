"""API tokens from the bank's IdP: RS256/ES256 checked against its JWKS, fetched over HTTP.

The IdP is `shared/testing/jwks_server.py` in its own process on loopback (discovery, JWKS,
token endpoint, key rotation); the apps fetch its JWKS as they would a bank's. Only the JWKS
cache's clock is the test's, so the refetch rate limit is shown without sleeping.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from web_support import SECRET, make_app

from services.accounts import create_app as create_accounts_app
from shared.config import DEV_JWT_SECRET
from shared.ports import free_port
from shared.testing.jwks_provider import JwksProvider
from shared.testing.jwks_server import DEFAULT_AUDIENCE
from shared.testing.oidc_provider import OidcProvider
from shared.tokens import TokenVerifier, mint_token
from shared.web.auth import VERIFIER

PROBLEMS = "https://warden.example/problems/"
WHOAMI = "/v1/notes/whoami"


@pytest.fixture(scope="module")
def idp():
    with JwksProvider() as running:
        yield running


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api(idp, sqlite_url, clock):
    """A notes app reading Keycloak-shaped tokens: roles in realm_access.roles, `branch`."""
    return _app(
        idp,
        sqlite_url,
        clock,
        oidc_role_claim="realm_access.roles",
        oidc_branch_claim="branch",
    )


def _app(idp, database_url, clock, **overrides):
    values = {
        "jwt_jwks_url": idp.issuer + "/jwks",
        "jwt_issuer": idp.issuer,
        "jwt_audience": DEFAULT_AUDIENCE,
        "jwt_jwks_refetch_seconds": 30.0,
    }
    app = make_app(database_url, **{**values, **overrides})
    verifier = TokenVerifier.from_settings(app.extensions["warden"].settings, clock=clock)
    app.extensions[VERIFIER] = verifier
    return app.test_client()


def _get(client, token: str, path: str = WHOAMI):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def assert_refused(response, why: str):
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json(force=True)
    assert problem["type"] == PROBLEMS + "unauthenticated"
    assert why in problem["detail"], problem["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    return problem


KEYCLOAK_TELLER = {
    "sub": "t-9",
    "realm_access": {"roles": ["offline_access", "uma_authorization", "teller"]},
    "branch": "HF-01",
}


def test_idp_token_is_accepted_with_role_and_branch_from_the_configured_claims(idp, api):
    response = _get(api, idp.token(KEYCLOAK_TELLER))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "sub": "t-9",
        "role": "teller",
        "police_unit": None,
        "branch_id": "HF-01",
    }


def test_es256_token_with_azure_style_roles_list(idp, sqlite_url, clock):
    azure = _app(idp, sqlite_url, clock, oidc_role_claim="roles", oidc_police_unit_claim="unit")
    token = idp.token(
        {"sub": "p-3", "roles": ["Warden.Reader", "police_liaison"], "unit": "PSB-HF-001"},
        alg="ES256",
    )

    response = _get(azure, token)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["role"] == "police_liaison"
    assert response.get_json()["police_unit"] == "PSB-HF-001"


def test_token_of_another_issuer_is_refused(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "iss": "https://login.other-bank.example/realms/x"})
    assert_refused(_get(api, token), f"issuer is not {idp.issuer}")


def test_token_for_another_audience_is_refused(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "aud": "hr-portal"})
    assert_refused(_get(api, token), f"audience is not {DEFAULT_AUDIENCE}")


def test_token_without_audience_is_refused_when_one_is_configured(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "aud": None})
    assert_refused(_get(api, token), "aud")


def test_audience_list_containing_ours_is_accepted(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "aud": ["account", DEFAULT_AUDIENCE]})
    assert _get(api, token).status_code == 200


def test_expired_idp_token_is_refused(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "exp": int(datetime.now(UTC).timestamp()) - 120})
    assert_refused(_get(api, token), "expired")


def test_token_with_no_warden_role_is_refused(idp, api):
    token = idp.token({**KEYCLOAK_TELLER, "realm_access": {"roles": ["offline_access"]}})
    assert_refused(_get(api, token), "no Warden role in the 'realm_access.roles' claim")


def test_police_liaison_without_a_unit_is_refused(idp, api):
    token = idp.token({"sub": "p-1", "realm_access": {"roles": ["police_liaison"]}})
    assert_refused(_get(api, token), "police_unit")


def test_a_rotated_key_is_fetched_and_works(idp, api, clock):
    before = idp.token(KEYCLOAK_TELLER)
    assert _get(api, before).status_code == 200
    fetches = idp.jwks_fetches()

    clock.now += 31  # past the refetch interval
    new_kid = idp.rotate("RS256", keep_old=False)
    after = idp.token(KEYCLOAK_TELLER)

    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert _get(api, after).status_code == 200
    assert idp.jwks_fetches() == fetches + 1
    # The old key left the JWKS: its tokens are refused now, without another fetch.
    assert_refused(_get(api, before), "unknown key id")
    assert idp.jwks_fetches() == fetches + 1


def test_a_withdrawn_key_stops_working_once_the_set_is_old(sqlite_url, clock):
    with JwksProvider() as own:
        client = _app(own, sqlite_url, clock, oidc_role_claim="realm_access.roles")
        old = own.token(KEYCLOAK_TELLER)
        assert _get(client, old).status_code == 200
        own.rotate("RS256", keep_old=False)  # the IdP withdraws the old key

        clock.now += 299  # the cached set is still young: the old key still verifies
        assert _get(client, old).status_code == 200
        clock.now += 2  # older than WARDEN_JWT_JWKS_MAX_AGE_SECONDS (300): refetched
        assert_refused(_get(client, old), "unknown key id")
        assert own.jwks_fetches() == 2


def test_cached_keys_outlive_an_idp_outage(sqlite_url, clock):
    own = JwksProvider().start()
    try:
        client = _app(own, sqlite_url, clock, oidc_role_claim="realm_access.roles")
        token = own.token(KEYCLOAK_TELLER)
        assert _get(client, token).status_code == 200
    finally:
        own.stop()

    clock.now += 301  # due for a refetch, which fails: the set it has is kept
    assert _get(client, token).status_code == 200


def test_unknown_kids_beyond_the_rate_limit_cause_no_refetch_storm(idp, api, clock):
    assert _get(api, idp.token(KEYCLOAK_TELLER)).status_code == 200
    fetches = idp.jwks_fetches()

    for attempt in range(20):
        token = idp.token(KEYCLOAK_TELLER, unpublished=True, kid=f"made-up-{attempt}")
        assert_refused(_get(api, token), "unknown key id")
        clock.now += 1

    # 20 seconds of made-up kids: within one 30-second interval, so not one more fetch.
    assert idp.jwks_fetches() == fetches
    clock.now += 30
    assert_refused(_get(api, idp.token(KEYCLOAK_TELLER, unpublished=True)), "unknown key id")
    assert idp.jwks_fetches() == fetches + 1


def test_hs256_is_refused_when_only_the_jwks_is_configured(idp, sqlite_url, clock):
    only_jwks = _app(idp, sqlite_url, clock, jwt_secret=DEV_JWT_SECRET)
    token = mint_token(DEV_JWT_SECRET, "t-1", "teller")
    assert_refused(_get(only_jwks, token), "HS256 tokens are not accepted here")


def test_hs256_with_an_own_secret_is_accepted_beside_the_jwks(idp, api):
    """The console's calls to other services carry Warden's own tokens (DOMAIN §3)."""
    response = _get(api, mint_token(SECRET, "inv-1", "investigator"))
    assert response.status_code == 200
    assert response.get_json()["role"] == "investigator"


def test_hs256_signed_with_the_idp_public_key_is_refused(idp, api):
    """Algorithm confusion: the JWKS's public key used as an HMAC secret opens nothing."""
    jwk = next(key for key in idp.jwks()["keys"] if key["kty"] == "RSA")
    public_pem = jwt.PyJWK(jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    claims = {"sub": "x", "role": "auditor", "realm_access": {"roles": ["auditor"]}, "exp": exp}
    header = {"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}
    # PyJWT will not sign with a PEM as an HMAC key, so the forger does it by hand.
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{_b64(mac)}"

    assert_refused(_get(api, forged), "Signature verification failed")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_alg_none_is_refused(idp, api):
    claims = {**KEYCLOAK_TELLER, "iss": idp.issuer, "aud": DEFAULT_AUDIENCE, "exp": 4102444800}
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "rs256-any"})
    assert_refused(_get(api, unsigned), "algorithm 'none' is not accepted")


def test_token_without_kid_is_checked_with_the_only_key_for_its_algorithm(sqlite_url, clock):
    with JwksProvider() as own:
        token = own.token(KEYCLOAK_TELLER, kid="")  # RFC 7515: kid is optional
        assert "kid" not in jwt.get_unverified_header(token)
        single = _app(own, sqlite_url, clock, oidc_role_claim="realm_access.roles")
        assert _get(single, token).status_code == 200

        own.rotate("RS256", keep_old=True)  # now two RS256 keys: which one is not clear
        double = _app(own, sqlite_url, clock, oidc_role_claim="realm_access.roles")
        assert_refused(
            _get(double, own.token(KEYCLOAK_TELLER, kid="")),
            "the token names no key id (kid) and the JWKS has 2 RS256 keys",
        )


def test_id_token_from_oidc_provider_mock_is_accepted(sqlite_url, clock):
    """Another implementation (Authlib/joserfc inside oidc-provider-mock): its ID token, got
    through the authorization code flow, is a bearer token the API accepts for its client id."""
    with OidcProvider() as provider:
        callback = f"http://127.0.0.1:{free_port()}/callback"  # only read from Location
        client_id, client_secret = provider.register_client([callback])
        provider.set_user("inv-7", {"realm_access": {"roles": ["investigator"]}, "branch": "HF-2"})
        discovery = provider.discovery()
        query = {
            "client_id": client_id,
            "redirect_uri": callback,
            "response_type": "code",
            "scope": "openid",
            "nonce": "nonce-1",
            "state": "state-1",
        }
        authorize = f"{discovery['authorization_endpoint']}?{urlencode(query)}"
        approved = httpx.post(authorize, data={"sub": "inv-7"}, timeout=10.0)
        assert approved.status_code == 302, approved.text
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        exchanged = httpx.post(
            discovery["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": callback},
            auth=(client_id, client_secret),
            timeout=10.0,
        )
        exchanged.raise_for_status()
        id_token = exchanged.json()["id_token"]

        values = {
            "jwt_jwks_url": discovery["jwks_uri"],
            "jwt_issuer": provider.issuer,
            "jwt_audience": client_id,
            "oidc_role_claim": "realm_access.roles",
            "oidc_branch_claim": "branch",
        }
        accepted = _get(_app(provider, sqlite_url, clock, **values), id_token)
        other_client = _get(
            _app(provider, sqlite_url, clock, **{**values, "jwt_audience": "x"}), id_token
        )

    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json() == {
        "sub": "inv-7",
        "role": "investigator",
        "police_unit": None,
        "branch_id": "HF-2",
    }
    assert_refused(other_client, "audience is not x")


def test_unreachable_jwks_is_503_with_retry_after(idp, sqlite_url, clock):
    nobody = f"http://127.0.0.1:{free_port()}/jwks"
    client = _app(idp, sqlite_url, clock, jwt_jwks_url=nobody)

    response = _get(client, idp.token(KEYCLOAK_TELLER))

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["type"] == PROBLEMS + "identity-provider-unavailable"
    assert response.headers["Retry-After"] == "30"


def test_the_accounts_service_accepts_idp_tokens(idp, sqlite_url, monkeypatch):
    """A real service, configured from WARDEN_* variables as an operator would."""
    monkeypatch.setenv("WARDEN_JWT_JWKS_URL", idp.jwks_url)
    monkeypatch.setenv("WARDEN_JWT_ISSUER", idp.issuer)
    monkeypatch.setenv("WARDEN_JWT_AUDIENCE", DEFAULT_AUDIENCE)
    monkeypatch.setenv("WARDEN_OIDC_ROLE_CLAIM", "realm_access.roles")
    monkeypatch.setenv("WARDEN_OIDC_BRANCH_CLAIM", "branch")
    app = create_accounts_app({"database_url": sqlite_url, "jwt_secret": SECRET})
    client = app.test_client()
    try:
        allowed = _get(client, idp.token(KEYCLOAK_TELLER), "/v1/customers/cus_unknown")
        other_audience = idp.token({**KEYCLOAK_TELLER, "aud": "hr-portal"})
        refused = _get(client, other_audience, "/v1/customers/cus_unknown")
    finally:
        app.extensions["warden"].engine.dispose()

    assert allowed.status_code == 404, allowed.get_data(as_text=True)  # past auth: no such one
    assert_refused(refused, "audience is not warden-api")
