"""Bearer tokens of DOMAIN §3: Warden's own HS256 tokens, and the bank IdP's RS256/ES256 ones.

Which token is checked how (the `alg` in its header picks the verifier, and each verifier
admits only its own algorithms, so a JWKS public key is never used as an HMAC secret):

- `HS256`: verified with WARDEN_JWT_SECRET; minted by `warden token` and by the console for
  its calls to other services; claims `role`, `police_unit`, `branch_id`. When a JWKS URL is
  set and the secret is still the public development one, HS256 is refused.
- `RS256`, `ES256`: only when WARDEN_JWT_JWKS_URL is set; the header's `kid` names a key of
  that JWKS whose type (and `alg`, if the JWK has one) fits; `iss` and `aud` are checked when
  WARDEN_JWT_ISSUER / WARDEN_JWT_AUDIENCE are set; claim names are the oidc_*_claim settings.
  A token without `kid` is checked with the JWKS's only key for its alg, if it has only one.
- Anything else (`none`, HS384, PS256, EdDSA, …) is refused.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import jwt

ROLES = ("system", "teller", "investigator", "supervisor", "police_liaison", "auditor")
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
LEEWAY_SECONDS = 30  # tolerate small clock skew between the minting host and ours


IDP_ALGORITHMS = ("RS256", "ES256")  # what a bank IdP signs with; RSA or EC P-256 keys
KEY_TYPES = {"RS256": ("RSA", None), "ES256": ("EC", "P-256")}
JWKS_TIMEOUT_SECONDS = 5.0
VERIFIED_CACHE_SIZE = 4096  # distinct live tokens a verifier keeps; more start it afresh


class TokenError(ValueError):
    """The token is missing, malformed, forged, expired or names no known role."""


class KeysUnavailable(RuntimeError):
    """The IdP's JWKS could not be fetched, so a token signed by it cannot be checked now."""


def check_secret(secret: str) -> None:
    """Refuse short secrets outright; PyJWT would only warn and sign with them anyway."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes long")


def mint_token(
    secret: str,
    sub: str,
    role: str,
    *,
    police_unit: str | None = None,
    branch_id: str | None = None,
    ttl_seconds: int = 3600,
    now: datetime | None = None,
) -> str:
    """A signed token for one caller; `now` lets tests mint tokens that are already expired."""
    check_secret(secret)
    claims = _checked_claims(
        {"sub": sub, "role": role, "police_unit": police_unit, "branch_id": branch_id},
        error=ValueError,
    )
    issued = now or datetime.now(UTC)
    claims["iat"] = int(issued.timestamp())
    claims["exp"] = int((issued + timedelta(seconds=ttl_seconds)).timestamp())
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> dict:
    """The verified claims, or TokenError saying in a few words what was wrong."""
    check_secret(secret)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "role"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    return _checked_claims(claims, error=TokenError)


def _checked_claims(claims: dict, error: type[Exception]) -> dict:
    """Drop empty optional claims and refuse roles and shapes the services cannot authorise."""
    if claims.get("role") not in ROLES:
        raise error(f"unknown role {claims.get('role')!r}; expected one of {', '.join(ROLES)}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise error("sub must be a non-empty string")
    for name in ("police_unit", "branch_id"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise error(f"{name} must be a string")
    if claims["role"] == "police_liaison" and not claims.get("police_unit"):
        raise error("a police_liaison token needs a police_unit")
    return {k: v for k, v in claims.items() if v is not None}


def claim_at(claims: dict, name: str):
    """A claim by its exact name, else by a dotted path (Keycloak's `realm_access.roles`)."""
    if not name:
        return None
    if name in claims:
        return claims[name]
    value = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def first_string(value, accept: Callable[[str], bool] = lambda _: True) -> str | None:
    """A claim may be one string or a list of them; the first non-empty acceptable one."""
    candidates = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for candidate in candidates:
        if isinstance(candidate, str) and candidate and accept(candidate):
            return candidate
    return None


def warden_role(value) -> str | None:
    """The role of a role claim: itself if a Warden role, else the first Warden role listed."""
    return first_string(value, accept=ROLES.__contains__)


@dataclass(frozen=True, slots=True)
class ClaimNames:
    """Where an IdP puts role, police unit and branch: a claim name or a dotted path."""

    role: str = "role"
    police_unit: str = "police_unit"
    branch_id: str = "branch_id"


class JwksKeys:
    """The IdP's signing keys by `kid`, fetched from its JWKS URL and refetched sparingly.

    A `kid` not in the set refetches it (the IdP rotated its key), but at most once every
    `refetch_seconds`: a stream of tokens with made-up kids costs the IdP one request per
    interval, not one per token. A set older than `max_age_seconds` is refetched on next use,
    so a key the IdP withdrew stops working; if that refetch fails the old set is kept.
    PyJWT's PyJWKClient refetches on every unknown kid, hence this class.
    """

    def __init__(
        self,
        url: str,
        *,
        refetch_seconds: float = 30.0,
        max_age_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = JWKS_TIMEOUT_SECONDS,
    ):
        self.url = url
        self.refetch_seconds = refetch_seconds
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self.timeout = timeout
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at: float | None = None  # last successful fetch
        self._tried_at: float | None = None  # last attempt, successful or not
        self._lock = threading.Lock()

    def key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """The key a token's header names; without a `kid`, the JWKS's only key for `alg`."""
        with self._lock:
            now = self.clock()
            stale = self._keys is None or now - self._fetched_at >= self.max_age_seconds
            if stale and self._may_fetch(now):
                self._fetch(now, keep_on_failure=self._keys is not None)
            if self._keys is None:
                raise KeysUnavailable("the identity provider's keys could not be fetched")
            if kid is None:
                return self._only_key(alg)
            if kid not in self._keys and self._may_fetch(now):
                self._fetch(now, keep_on_failure=True)
            found = self._keys.get(kid)
        if found is None:
            raise TokenError(f"unknown key id {kid[:64]!r}")
        return found

    def _only_key(self, alg: str) -> jwt.PyJWK:
        """RFC 7515 makes `kid` optional; one key for the algorithm leaves no doubt which."""
        candidates = [key for key in self._keys.values() if key.algorithm_name == alg]
        if len(candidates) != 1:
            raise TokenError(
                f"the token names no key id (kid) and the JWKS has {len(candidates)} {alg} keys"
            )
        return candidates[0]

    def _may_fetch(self, now: float) -> bool:
        return self._tried_at is None or now - self._tried_at >= self.refetch_seconds

    def _fetch(self, now: float, keep_on_failure: bool) -> None:
        self._tried_at = now
        try:
            response = httpx.get(self.url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            keys = usable_keys(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            if not keep_on_failure:
                raise KeysUnavailable(f"the JWKS at {self.url} could not be read: {exc}") from exc
            return
        self._keys, self._fetched_at = keys, now


def usable_keys(document) -> dict[str, jwt.PyJWK]:
    """The JWKS's signature keys for IDP_ALGORITHMS by kid; others (oct, enc, no kid) skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS is an object with a list of keys")
    keys = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        alg = jwk.get("alg") or ("ES256" if jwk.get("kty") == "EC" else "RS256")
        if alg not in IDP_ALGORITHMS or (jwk.get("kty"), jwk.get("crv")) != KEY_TYPES[alg]:
            continue
        try:
            keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm=alg)
        except jwt.PyJWTError:
            continue
    return keys


class TokenVerifier:
    """One service's rules for bearer tokens (see the module docstring); built from settings."""

    def __init__(
        self,
        secret: str | None,
        keys: JwksKeys | None = None,
        *,
        issuer: str = "",
        audience: str = "",
        claim_names: ClaimNames | None = None,
    ):
        if secret is not None:
            check_secret(secret)
        self.secret = secret
        self.keys = keys
        self.issuer = issuer
        self.audiences = [part.strip() for part in audience.split(",") if part.strip()]
        self.claim_names = claim_names or ClaimNames()
        self._verified: dict[str, Verified] = {}

    @classmethod
    def from_settings(cls, settings, *, clock: Callable[[], float] = time.monotonic):
        """HS256 only without a JWKS URL; with one, HS256 too unless the secret is the dev one."""
        if not settings.jwt_jwks_url:
            return cls(settings.jwt_secret)
        keys = JwksKeys(
            settings.jwt_jwks_url,
            refetch_seconds=settings.jwt_jwks_refetch_seconds,
            max_age_seconds=settings.jwt_jwks_max_age_seconds,
            clock=clock,
        )
        names = ClaimNames(
            settings.oidc_role_claim, settings.oidc_police_unit_claim, settings.oidc_branch_claim
        )
        secret = None if settings.uses_dev_secret else settings.jwt_secret
        return cls(
            secret,
            keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            claim_names=names,
        )

    def verify(self, token: str) -> dict:
        """The caller's claims (sub, role, police_unit, branch_id), or TokenError saying why.

        A client sends the same token with every request, and checking a signature is most of
        what authentication costs, so a verified token's claims are kept until it expires. A
        kept IdP token is still looked up in the JWKS each time (cheap while the set is fresh):
        if its key was withdrawn or rotated, it is verified afresh, or refused, as before.
        """
        verified = self._verified.get(token)
        if verified is not None and verified.holds(self.keys):
            return dict(verified.claims)
        verified = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._forget_expired()
        self._verified[token] = verified
        return dict(verified.claims)

    def _forget_expired(self) -> None:
        now = time.time()
        for token, verified in list(self._verified.items()):
            if now >= verified.valid_until:
                self._verified.pop(token, None)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:  # all still valid: start over
            self._verified.clear()

    def _verify(self, token: str) -> "Verified":
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid token: {exc}") from exc
        alg = header.get("alg")
        if alg == ALGORITHM:
            if self.secret is None:
                raise TokenError("HS256 tokens are not accepted here; use the identity provider's")
            claims = decode_token(self.secret, token)
            return Verified(claims, int(claims["exp"]) + LEEWAY_SECONDS)
        if alg not in IDP_ALGORITHMS:
            raise TokenError(f"algorithm {str(alg)[:20]!r} is not accepted")
        if self.keys is None:
            raise TokenError(f"{alg} tokens are not accepted: no identity provider is configured")
        kid = header.get("kid")
        if kid is not None and (not isinstance(kid, str) or not kid):
            raise TokenError("the token's key id (kid) is not a non-empty string")
        key = self.keys.key(kid, alg)
        claims, expires = self._idp_claims(token, alg, key)
        return Verified(claims, int(expires) + LEEWAY_SECONDS, alg, kid, key)

    def _idp_claims(self, token: str, alg: str, key: jwt.PyJWK) -> tuple[dict, float]:
        required = ["exp", "sub"] + ["iss"] * bool(self.issuer) + ["aud"] * bool(self.audiences)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer or None,
                audience=self.audiences or None,
                options={"require": required, "verify_aud": bool(self.audiences)},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenError(f"issuer is not {self.issuer}") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenError(f"audience is not {' or '.join(self.audiences)}") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid token: {exc}") from exc
        names = self.claim_names
        role_value = claim_at(claims, names.role)
        role = warden_role(role_value)
        if role is None:
            raise TokenError(f"no Warden role in the {names.role!r} claim")
        checked = _checked_claims(
            {
                "sub": claims.get("sub"),
                "role": role,
                "police_unit": first_string(claim_at(claims, names.police_unit)),
                "branch_id": first_string(claim_at(claims, names.branch_id)),
            },
            error=TokenError,
        )
        return checked, claims["exp"]


@dataclass(frozen=True, slots=True)
class Verified:
    """A token's checked claims, kept until `valid_until` (its `exp` plus the leeway).

    `alg`, `kid` and `key` are an IdP token's: the key it was verified with must still be the
    one the JWKS gives for its kid. PyJWT's other time checks (`nbf`, `iat`) only ever pass
    for good once they have passed, so only expiry needs checking again.
    """

    claims: dict
    valid_until: float
    alg: str | None = None
    kid: str | None = None
    key: jwt.PyJWK | None = None

    def holds(self, keys: JwksKeys | None) -> bool:
        if time.time() >= self.valid_until:
            return False  # verified afresh, so the caller hears "token expired"
        return self.key is None or (keys is not None and keys.key(self.kid, self.alg) is self.key)
