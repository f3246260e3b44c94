"""Claim mapping, JWKS key selection and the algorithm rules for IdP tokens, without a network."""

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.config import DEV_JWT_SECRET, load_settings
from shared.tokens import (
    TokenError,
    TokenVerifier,
    claim_at,
    first_string,
    mint_token,
    usable_keys,
    warden_role,
)

SECRET = "unit-test-secret-of-32-bytes-or-more"


def _jwk(private_key, kind: str, kid: str, **extra) -> dict:
    jwk = jwt.get_algorithm_by_name(kind).to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, **extra}


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def test_claims_by_name_or_dotted_path():
    claims = {"role": "teller", "realm_access": {"roles": ["auditor"]}, "a.b": "exact"}
    assert claim_at(claims, "role") == "teller"
    assert claim_at(claims, "realm_access.roles") == ["auditor"]
    assert claim_at(claims, "a.b") == "exact"  # an exact name wins over a path
    assert claim_at(claims, "realm_access.missing") is None
    assert claim_at(claims, "") is None


def test_the_role_is_the_first_warden_role_of_a_list():
    assert warden_role(["offline_access", "supervisor", "auditor"]) == "supervisor"
    assert warden_role("auditor") == "auditor"
    assert warden_role(["Warden.Admin", "root"]) is None
    assert warden_role({"not": "a list"}) is None
    assert first_string(["", "HF-01"]) == "HF-01"


def test_only_signature_keys_for_rs256_and_es256_with_a_kid_are_used():
    document = {
        "keys": [
            _jwk(RSA_KEY, "RS256", "rsa-1", use="sig"),
            _jwk(EC_KEY, "ES256", "ec-1"),
            _jwk(RSA_KEY, "RS256", "rsa-enc", use="enc"),
            _jwk(RSA_KEY, "RS256", "rsa-ps", alg="PS256"),
            {k: v for k, v in _jwk(RSA_KEY, "RS256", "x").items() if k != "kid"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "kid": "broken", "x": "AA", "y": "AA"},
            "not a key",
        ]
    }
    keys = usable_keys(document)
    assert sorted(keys) == ["ec-1", "rsa-1"]
    assert keys["ec-1"].algorithm_name == "ES256"
    with pytest.raises(ValueError):
        usable_keys({"keys": "none"})


def test_without_a_jwks_only_hs256_is_accepted():
    verifier = TokenVerifier(SECRET)
    assert verifier.verify(mint_token(SECRET, "t-1", "teller"))["role"] == "teller"
    rs256 = jwt.encode({"sub": "x", "role": "teller"}, RSA_KEY, "RS256", headers={"kid": "k"})
    with pytest.raises(TokenError, match="no identity provider is configured"):
        verifier.verify(rs256)


@pytest.mark.parametrize("alg", ["none", "HS384", "PS256", "EdDSA"])
def test_other_algorithms_are_refused(alg):
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg, "kid": "k"}).encode())
    token = header.rstrip(b"=").decode() + ".e30.c2ln"  # a payload of {} and some signature
    with pytest.raises(TokenError, match="is not accepted"):
        TokenVerifier(SECRET).verify(token)


def test_garbage_is_a_token_error():
    with pytest.raises(TokenError, match="invalid token"):
        TokenVerifier(SECRET).verify("not-a-jwt")


def test_a_jwks_with_the_dev_secret_turns_hs256_off():
    settings = load_settings("accounts", {"jwt_jwks_url": "https://idp.example/jwks"})
    assert settings.jwt_secret == DEV_JWT_SECRET
    verifier = TokenVerifier.from_settings(settings)
    with pytest.raises(TokenError, match="HS256 tokens are not accepted"):
        verifier.verify(mint_token(DEV_JWT_SECRET, "t-1", "teller"))
    own = TokenVerifier.from_settings(
        load_settings(
            "accounts", {"jwt_jwks_url": "https://idp.example/jwks", "jwt_secret": SECRET}
        )
    )
    assert own.verify(mint_token(SECRET, "t-1", "teller"))["sub"] == "t-1"


def test_production_with_a_jwks_needs_issuer_and_audience():
    base = {"mode": "production", "jwt_secret": SECRET, "jwt_jwks_url": "https://idp.example/k"}
    with pytest.raises(RuntimeError, match="WARDEN_JWT_ISSUER and WARDEN_JWT_AUDIENCE"):
        load_settings("accounts", base)
    ok = load_settings("accounts", {**base, "jwt_issuer": "https://idp", "jwt_audience": "w"})
    assert ok.jwt_audience == "w"


def test_jwks_url_must_be_http_and_intervals_positive():
    with pytest.raises(RuntimeError, match="WARDEN_JWT_JWKS_URL"):
        load_settings("accounts", {"jwt_jwks_url": "file:///etc/keys.json"})
    with pytest.raises(RuntimeError, match="REFETCH_SECONDS"):
        load_settings("accounts", {"jwt_jwks_refetch_seconds": 0.0})
