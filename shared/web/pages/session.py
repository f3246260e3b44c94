"""Who is signed in to a page area: a signed session cookie with an idle timeout.

The cookie is Flask's signed session (HttpOnly, SameSite=Lax, Secure over https, scoped to the
area's path), so the console's and the portal's sessions never cross even on one host.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import wraps
from urllib.parse import urlencode

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext

from shared.envelope import Context
from shared.web.auth import Principal
from shared.web.logging import correlation_id, request_id
from shared.web.pages.errors import PageError
from shared.web.state import web_state

USER, SEEN, CSRF = "user", "seen", "csrf"


@dataclass(frozen=True, slots=True)
class PageUser(Principal):
    """A person signed in to the console or the portal: a caller like a token's, and how they
    proved who they are ("development" or "oidc")."""

    via: str = "development"


def area():
    """The app's page area (shared.web.pages.area.PagesArea)."""
    return current_app.extensions["warden_pages"]


def sign_in(user: PageUser) -> None:
    """Start a fresh session: nothing from before sign-in survives (no session fixation)."""
    language = session.get("lang")
    session.clear()
    session[USER] = asdict(user)
    session[SEEN] = _now()
    if language:
        session["lang"] = language


def _now() -> float:
    """The app's clock (tests move it), as seconds."""
    return web_state().clock().timestamp()


def sign_out() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def current_user() -> PageUser | None:
    """The signed-in user, or None; an idle session is ended here, once per request."""
    if "page_user" in g:
        return g.page_user
    user = None
    stored = session.get(USER)
    if stored is not None:
        idle_seconds = web_state().settings.session_idle_minutes * 60
        if _now() - session.get(SEEN, 0) > idle_seconds:
            sign_out()
            g.session_expired = True
        else:
            user = PageUser(**stored)
            session[SEEN] = _now()
    g.page_user = user
    return user


def session_expired() -> bool:
    current_user()
    return bool(g.get("session_expired"))


def sign_in_url(next_path: str | None = None) -> str:
    query = {"next": next_path} if next_path else {}
    if session_expired():
        query["expired"] = "1"
    base = url_for("sign_in.sign_in_page")
    return f"{base}?{urlencode(query)}" if query else base


def page_requires(*roles: str) -> Callable:
    """Let a page run only for a signed-in user holding one of `roles`.

    Nobody signed in (or an idle session) goes to the sign-in page and comes back after;
    a signed-in user of another role gets a 403 page.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                target = request.full_path if request.method == "GET" else request.path
                return redirect(sign_in_url(target.rstrip("?")), 303)
            if user.role not in roles or user.role not in area().roles:
                raise PageError(403, gettext("Your role may not use this page."))
            return view(*args, **kwargs)

        return guarded

    return decorator


def page_context() -> Context:
    """Who, when and in which story a page's command acts: the page user, not a token."""
    user = current_user()
    if user is None:
        raise PageError(401, gettext("Sign in first."))
    return Context(
        actor=user.as_actor(),
        occurred_at=web_state().clock(),
        correlation_id=correlation_id(),
        causation_id=request_id(),
    )
