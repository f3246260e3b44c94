"""Bearer-token authentication for every `/v1` request and role checks for each view."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, g, request

from shared.envelope import Actor
from shared.tokens import ROLES, KeysUnavailable, TokenError, TokenVerifier
from shared.web.problems import Problem
from shared.web.state import web_state

PROTECTED_PREFIX = "/v1"
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
VERIFIER = "warden_token_verifier"  # the app's TokenVerifier, in app.extensions


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the verified token describes them."""

    sub: str
    role: str
    police_unit: str | None = None
    branch_id: str | None = None

    def as_actor(self) -> Actor:
        return Actor(role=self.role, sub=self.sub)


def _unauthenticated(detail: str, error: str | None = None) -> Problem:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return Problem(401, detail=detail, headers={"WWW-Authenticate": challenge})


def authenticate() -> Principal:
    """Verify the request's bearer token once and remember the caller in `g`."""
    cached = g.get("warden_principal")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthenticated("A bearer token is required.")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("Use 'Authorization: Bearer <token>'.", "invalid_request")
    try:
        claims = _verifier().verify(token.strip())
    except TokenError as exc:
        raise _unauthenticated(f"The bearer token was refused: {exc}.", "invalid_token") from exc
    except KeysUnavailable as exc:
        web_state().log.error("identity provider keys unavailable", error=str(exc)[:300])
        raise Problem(
            503,
            "identity-provider-unavailable",
            "The identity provider's keys cannot be fetched just now, so the token cannot be "
            "checked. Try again shortly.",
            # The next fetch is allowed after the refetch interval, so ask for no earlier retry.
            headers={"Retry-After": str(math.ceil(web_state().settings.jwt_jwks_refetch_seconds))},
        ) from exc
    principal = Principal(
        sub=claims["sub"],
        role=claims["role"],
        police_unit=claims.get("police_unit"),
        branch_id=claims.get("branch_id"),
    )
    g.warden_principal = principal
    return principal


def _verifier() -> TokenVerifier:
    """One verifier per app, so its cache of the IdP's keys lives as long as the app."""
    verifier = current_app.extensions.get(VERIFIER)
    if verifier is None:
        verifier = TokenVerifier.from_settings(web_state().settings)
        current_app.extensions[VERIFIER] = verifier
    return verifier


def current_actor() -> Principal:
    """The caller of the current request; a 401 problem if there is none."""
    return authenticate()


def current_principal_or_none() -> Principal | None:
    return g.get("warden_principal")


def requires(*roles: str) -> Callable:
    """Let a view run only for callers holding one of `roles`; put it above @blp.arguments.

    Being outermost, it answers 401/403 before the body is parsed, so a stranger learns
    nothing from validation messages.
    """
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"requires() needs known roles, got {sorted(unknown) or 'none'}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = authenticate()
            if principal.role not in roles:
                raise Problem(403, detail=f"The role {principal.role!r} may not do this.")
            return view(*args, **kwargs)

        doc = dict(getattr(guarded, "_apidoc", {}))
        manual = dict(doc.get("manual_doc", {}))
        manual["security"] = [{"bearerAuth": []}]
        manual["x-roles"] = list(roles)  # 401 and 403 are declared by shared.web.openapi
        doc["manual_doc"] = manual
        guarded._apidoc = doc
        return guarded

    return decorator


def init_auth(app: Flask) -> None:
    """Authenticate every /v1 request up front, so a view that forgot @requires is still closed."""

    @app.before_request
    def _authenticate_v1():
        path = request.path
        if path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/"):
            authenticate()
