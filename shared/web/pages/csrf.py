"""Every state-changing form carries a token only this session's pages know."""

import hmac
import secrets

from flask import Flask, request, session
from flask_babel import gettext

from shared.web.pages.errors import PageError

FIELD = "csrf_token"
SESSION_KEY = "csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token, made on first use; forms put it in a hidden field."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def init_csrf(app: Flask, url_prefix: str) -> None:
    """Refuse any unsafe request under the area's prefix whose token does not match."""
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check_csrf():
        under = request.path == url_prefix or request.path.startswith(url_prefix + "/")
        if not under or request.method not in UNSAFE:
            return
        sent = request.form.get(FIELD, "")
        expected = session.get(SESSION_KEY, "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise PageError(
                400,
                gettext(
                    "This form has expired or did not come from this site, so nothing was "
                    "changed. Go back, reload the page and try again."
                ),
            )
