"""Mint and check the HS256 bearer tokens of DOMAIN §3, for the web layer and `warden token`."""

from datetime import UTC, datetime, timedelta

import jwt

ROLES = ("system", "teller", "investigator", "supervisor", "police_liaison", "auditor")
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
LEEWAY_SECONDS = 30  # tolerate small clock skew between the minting host and ours


class TokenError(ValueError):
    """The token is missing, malformed, forged, expired or names no known role."""


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
