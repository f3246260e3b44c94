"""Development tokens: what `warden token` mints, the web layer must accept, and nothing else."""

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.tokens import (
    LEEWAY_SECONDS,
    ROLES,
    TokenError,
    TokenVerifier,
    decode_token,
    mint_token,
)

SECRET = "unit-test-secret-of-32-bytes-or-more"


def test_minted_token_decodes_to_its_claims():
    token = mint_token(SECRET, "t-042", "teller", branch_id="b-7")
    claims = decode_token(SECRET, token)
    assert (claims["sub"], claims["role"], claims["branch_id"]) == ("t-042", "teller", "b-7")
    assert "police_unit" not in claims


def test_ttl_sets_expiry_from_now():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    token = mint_token(SECRET, "s", "system", ttl_seconds=60, now=now)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] - claims["iat"] == 60
    assert claims["iat"] == int(now.timestamp())


def test_every_domain_role_can_be_minted():
    for role in ROLES:
        unit = "PSB-1" if role == "police_liaison" else None
        assert decode_token(SECRET, mint_token(SECRET, "x", role, police_unit=unit))["role"] == role


def test_unknown_role_is_refused_when_minting():
    with pytest.raises(ValueError, match="unknown role"):
        mint_token(SECRET, "x", "admin")


def test_police_liaison_needs_a_police_unit():
    with pytest.raises(ValueError, match="police_unit"):
        mint_token(SECRET, "p", "police_liaison")


def test_expired_token_is_refused():
    token = mint_token(SECRET, "x", "auditor", now=datetime.now(UTC) - timedelta(hours=2))
    with pytest.raises(TokenError, match="expired"):
        decode_token(SECRET, token)


def test_wrong_secret_is_refused():
    token = mint_token(SECRET, "x", "auditor")
    with pytest.raises(TokenError):
        decode_token("a-different-secret-also-32-bytes-long", token)


def test_token_without_expiry_or_with_foreign_role_is_refused():
    no_exp = jwt.encode({"sub": "x", "role": "auditor"}, SECRET, algorithm="HS256")
    with pytest.raises(TokenError):
        decode_token(SECRET, no_exp)
    exp = datetime.now(UTC) + timedelta(hours=1)
    foreign = jwt.encode({"sub": "x", "role": "root", "exp": exp}, SECRET, algorithm="HS256")
    with pytest.raises(TokenError, match="unknown role"):
        decode_token(SECRET, foreign)


def test_unsigned_token_is_refused():
    exp = datetime.now(UTC) + timedelta(hours=1)
    unsigned = jwt.encode({"sub": "x", "role": "system", "exp": exp}, None, algorithm="none")
    with pytest.raises(TokenError):
        decode_token(SECRET, unsigned)


def test_short_secret_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        mint_token("short", "x", "teller")


def test_a_verifier_checks_a_token_signature_once_while_it_is_valid(monkeypatch):
    verifier = TokenVerifier(SECRET)
    token = mint_token(SECRET, "t-042", "teller", branch_id="b-7")
    first = verifier.verify(token)
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: pytest.fail("verified again"))
    again = verifier.verify(token)
    assert again == first and again["sub"] == "t-042"
    again["sub"] = "someone else"  # a caller's copy: the kept claims stay as verified
    assert verifier.verify(token)["sub"] == "t-042"


def test_a_kept_token_is_refused_once_it_expires():
    # exp is whole seconds: leave a little under a second of the leeway, wherever "now" falls.
    time.sleep(1 - time.time() % 1 + 0.01)
    issued = datetime.fromtimestamp(int(time.time()) - 3600 - LEEWAY_SECONDS + 1, UTC)
    token = mint_token(SECRET, "t-042", "teller", ttl_seconds=3600, now=issued)
    verifier = TokenVerifier(SECRET)
    assert verifier.verify(token)["sub"] == "t-042"
    time.sleep(1.1)
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)


def test_a_refused_token_is_refused_every_time():
    verifier = TokenVerifier(SECRET)
    forged = mint_token("another-secret-of-32-bytes-or-more!", "x", "auditor")
    for _ in range(2):
        with pytest.raises(TokenError, match="invalid token"):
            verifier.verify(forged)
