"""A page area (the console, the portal): its prefix, who may use it, and how it is installed."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, request
from flask.sessions import SecureCookieSessionInterface

from shared.config import Settings
from shared.web.pages.csrf import init_csrf
from shared.web.pages.errors import init_page_errors
from shared.web.pages.i18n import init_i18n
from shared.web.pages.labels import claim_label, field_id, role_label
from shared.web.pages.session import current_user
from shared.web.pages.sign_in import make_sign_in_blueprint

HERE = Path(__file__).parent


@dataclass(frozen=True)
class PagesArea:
    """What a service tells the page machinery about one area it serves.

    `blueprints` returns the area's Flask blueprints; `sign_in_fields` are the claims the
    development sign-in form asks for besides role and sub; `catalogs` are the area's
    translation directories.
    """

    name: str
    url_prefix: str
    roles: tuple[str, ...]
    blueprints: Callable[[], list]
    home_endpoint: str
    sign_in_fields: tuple[str, ...] = ()
    catalogs: tuple[Path, ...] = ()
    title: str = "Warden"


class AreaSessions(SecureCookieSessionInterface):
    """Secure cookies whenever the request came over https (behind a TLS proxy too)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def session_secret(settings: Settings, area: str) -> str:
    """A per-area signing key derived from the service secret: one secret to rotate."""
    key = settings.jwt_secret.encode()
    return hmac.new(key, f"warden-pages-{area}".encode(), hashlib.sha256).hexdigest()


def install_area(app: Flask, area: PagesArea, settings: Settings) -> None:
    """Sessions, CSRF, language, error pages and shared templates, then the area's blueprints."""
    app.secret_key = session_secret(settings, area.name)
    app.config.update(
        SESSION_COOKIE_NAME=f"warden_{area.name}",
        SESSION_COOKIE_PATH=area.url_prefix,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.mode == "production",
        # The signature's age limit: an absolute cap well past the idle timeout, so an idle
        # session is still read and can be told it expired (session.current_user ends it).
        PERMANENT_SESSION_LIFETIME=max(
            timedelta(hours=12), timedelta(minutes=2 * settings.session_idle_minutes)
        ),
    )
    app.session_interface = AreaSessions()
    app.extensions["warden_pages"] = area
    init_i18n(app, settings.timezone, area.catalogs)
    init_csrf(app, area.url_prefix)
    init_page_errors(app, area.url_prefix)
    app.jinja_env.globals.update(
        page_area=area,
        current_user=current_user,
        role_label=role_label,
        claim_label=claim_label,
        field_id=field_id,
    )
    shared = Blueprint(
        "pages",
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
        static_url_path="/static",
        url_prefix=area.url_prefix,
    )
    app.register_blueprint(shared)
    app.register_blueprint(make_sign_in_blueprint(), url_prefix=area.url_prefix)
    if settings.oidc_issuer:
        from shared.web.pages.oidc import make_oidc_blueprint

        app.register_blueprint(make_oidc_blueprint("oidc", area.url_prefix, settings, area.roles))
    for blueprint in area.blueprints():
        app.register_blueprint(blueprint)
