"""OpenID Connect sign-in for a page area: authorization code with PKCE, through Authlib.

The bank's identity provider proves who a person is; Warden only maps three claims (role,
police unit, branch) onto a `PageUser`. Authlib checks state, nonce, the ID token's signature,
issuer, audience and expiry, and sends the PKCE verifier; this module decides who may enter
and turns every protocol failure into a readable page instead of a 500.
"""

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from jinja2 import TemplateNotFound
from joserfc.errors import JoseError
from markupsafe import escape

from shared.tokens import ROLES, claim_at, first_string, warden_role
from shared.web.logging import make_logger
from shared.web.pages.redirects import safe_next
from shared.web.pages.session import PageUser, sign_in

OAUTH_EXTENSION = "authlib.integrations.flask_client"  # where OAuth.init_app keeps itself
IDP_TIMEOUT_SECONDS = 10.0  # a hung identity provider must not hold a worker forever
NEXT_KEY = "warden_next"  # stored beside Authlib's state data, so each sign-in has its own


def make_oidc_blueprint(
    name: str, url_prefix: str, settings, allowed_roles: tuple[str, ...]
) -> Blueprint:
    """`<prefix>/auth/login` and `<prefix>/auth/callback` for one area (console or portal).

    The OAuth client is registered on the app when the blueprint is registered (per app, in
    `app.extensions`), never at import time. With `settings.oidc_issuer` empty both routes
    answer 404: the area then only has its development sign-in.
    """
    unknown = set(allowed_roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; expected some of {', '.join(ROLES)}")
    prefix = "/" + url_prefix.strip("/")
    home = prefix + "/"
    blueprint = Blueprint(name, __name__, url_prefix=prefix)

    @blueprint.record_once
    def _register_client(state) -> None:
        if settings.oidc_issuer:
            _register(state.app, name, settings)

    @blueprint.get("/auth/login")
    def login():
        """Send the browser to the provider; remember where it wanted to go (if that is ours)."""
        if not settings.oidc_issuer:
            return _page(404, gettext("There is no such page."))
        target = safe_next(request.args.get("next"), prefix) or home
        client = _client(name)
        redirect_uri = url_for(f"{name}.callback", _external=True)
        try:
            authorization = client.create_authorization_url(redirect_uri)
        except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
            return _unreachable(exc)
        client.save_authorize_data(redirect_uri=redirect_uri, **authorization, **{NEXT_KEY: target})
        return redirect(authorization["url"], 302)

    @blueprint.get("/auth/callback")
    def callback():
        """Exchange the code (with the PKCE verifier), check the ID token, sign the person in."""
        if not settings.oidc_issuer:
            return _page(404, gettext("There is no such page."))
        client = _client(name)
        if request.args.get("error"):
            return _provider_refused(client)
        state_data = client.framework.get_state_data(session, request.args.get("state")) or {}
        try:
            token = client.authorize_access_token()
            claims = _claims(client, token, settings)
        except MismatchingStateError:
            _log().warning("oidc callback with unknown state", area=name)
            return _page(
                400,
                gettext(
                    "This sign-in was not started here or has expired, so you are not signed "
                    "in. Start again from the sign-in page."
                ),
            )
        except OAuthError as exc:
            _log().warning("oidc token request refused", area=name, error=exc.error)
            return _page(
                400, gettext("The sign-in service did not accept this sign-in. Start again.")
            )
        except JoseError as exc:
            _log().warning("oidc id token rejected", area=name, error=exc.error)
            return _page(
                502,
                gettext("The sign-in service answered with an identity that could not be checked."),
            )
        except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
            return _unreachable(exc)
        user, refusal = _page_user(claims, settings, allowed_roles)
        if user is None:
            _log().warning("oidc sign-in refused", area=name, sub=claims.get("sub"), why=refusal)
            return _page(403, refusal)
        target = safe_next(state_data.get(NEXT_KEY), prefix) or home
        sign_in(user)  # clears the session first: nothing from before sign-in survives
        _log().info("oidc sign-in", area=name, sub=user.sub, role=user.role)
        return redirect(target, 303)

    return blueprint


def _register(app: Flask, name: str, settings) -> None:
    """One Authlib registry per app, one client per area; discovery is fetched on first use."""
    oauth = app.extensions.get(OAUTH_EXTENSION)
    if oauth is None:
        oauth = OAuth()
        oauth.init_app(app)
    scopes = settings.oidc_scopes.split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")  # without it there is no ID token, so nobody to sign in
    client_kwargs = {
        "scope": " ".join(scopes),
        "code_challenge_method": "S256",
        "default_timeout": IDP_TIMEOUT_SECONDS,
    }
    if not settings.oidc_client_secret:
        client_kwargs["token_endpoint_auth_method"] = "none"  # a public client: PKCE only
    oauth.register(
        name=name,
        overwrite=True,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )


def _client(name: str):
    return current_app.extensions[OAUTH_EXTENSION].create_client(name)


def _claims(client, token: dict, settings) -> dict:
    """The verified ID token's claims, completed from userinfo when the role is not in it."""
    claims = token.get("userinfo")
    if claims is None:
        raise ValueError("the provider returned no ID token")
    claims = dict(claims)
    if claim_at(claims, settings.oidc_role_claim) is None and client.server_metadata.get(
        "userinfo_endpoint"
    ):
        extra = dict(client.userinfo(token=token))
        if extra.get("sub") == claims.get("sub"):  # OIDC Core §5.3.2: else ignore the answer
            claims = {**extra, **claims}
    return claims


def _page_user(
    claims: dict, settings, allowed_roles: tuple[str, ...]
) -> tuple[PageUser | None, str]:
    """Map the provider's claims onto a PageUser, or say in plain words why not."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None, gettext("The sign-in service did not say who you are.")
    role = warden_role(claim_at(claims, settings.oidc_role_claim))
    if role is None:
        return None, gettext("Your account has no Warden role. Ask your administrator for one.")
    if role not in allowed_roles:
        return None, gettext("Your role may not use this part of Warden.")
    police_unit = first_string(claim_at(claims, settings.oidc_police_unit_claim))
    branch_id = first_string(claim_at(claims, settings.oidc_branch_claim))
    if role == "police_liaison" and not police_unit:
        return None, gettext(
            "Your account names no police unit, so the portal cannot show you any requests. "
            "Ask your administrator to add one."
        )
    user = PageUser(sub=sub, role=role, police_unit=police_unit, branch_id=branch_id, via="oidc")
    return user, ""


def _provider_refused(client):
    """The provider sent `error=` back (the person cancelled, or it refused this client)."""
    state = request.args.get("state")
    if state:
        client.framework.clear_state_data(session, state)
    error = request.args.get("error", "")
    _log().warning(
        "oidc provider returned an error",
        area=client.name,
        error=error[:100],
        description=request.args.get("error_description", "")[:300],
    )
    if error == "access_denied":
        message = gettext("Sign-in was cancelled at the sign-in service. You are not signed in.")
    else:
        message = gettext("The sign-in service could not sign you in. You are not signed in.")
    return _page(400, message)


def _unreachable(exc: Exception):
    _log().error("oidc provider unreachable or answered badly", error=repr(exc)[:500])
    return _page(
        502,
        gettext("The sign-in service cannot be reached just now. Try again in a few minutes."),
    )


def _page(status: int, message: str):
    """The area's error page; a bare page if the app has no `pages/error.html` template."""
    try:
        body = render_template("pages/error.html", status=status, message=message)
    except TemplateNotFound:
        body = (
            f"<!doctype html><html><title>{status}</title>"
            f"<main><h1>{status}</h1><p>{escape(message)}</p></main></html>"
        )
    return body, status, {"Content-Type": "text/html; charset=utf-8"}


def _log():
    return make_logger("warden.pages.oidc")
