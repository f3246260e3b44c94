"""OIDC sign-in for page areas, end to end against a real provider process on loopback.

A tiny Flask app carries the blueprint (no console needed); `oidc-provider-mock` runs as its
own process; an httpx client plays the browser: it follows the redirects one by one, reads the
provider's authorize page and submits its form as a person would. Nothing is patched.
"""

import base64
import hashlib
import threading
from dataclasses import asdict, dataclass, replace
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from flask import Flask
from flask_babel import Babel
from werkzeug.serving import make_server

from shared.config import Settings
from shared.envelope import utc_now
from shared.ports import free_port
from shared.testing.oidc_provider import OidcProvider
from shared.web.pages.oidc import make_oidc_blueprint
from shared.web.pages.redirects import safe_next
from shared.web.pages.session import current_user

CONSOLE_ROLES = ("investigator", "supervisor", "auditor")
PORTAL_ROLES = ("police_liaison",)


@dataclass
class Site:
    app: Flask
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    def stored_session(self, browser: httpx.Client) -> dict:
        """What the signed session cookie holds, read with the app's own serializer."""
        cookie = browser.cookies.get(self.app.config["SESSION_COOKIE_NAME"])
        if cookie is None:
            return {}
        return self.app.session_interface.get_signing_serializer(self.app).loads(cookie)


@pytest.fixture(scope="module")
def provider():
    with OidcProvider() as running:
        yield running


@pytest.fixture(scope="module")
def site(provider):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client_id, client_secret = provider.register_client(
        [f"{base}/{area}/auth/callback" for area in ("console", "portal", "forged")]
    )
    console = Settings(
        service="cases",
        database_url="sqlite://",
        oidc_issuer=provider.issuer,
        oidc_client_id=client_id,
        oidc_client_secret=client_secret,
    )
    # The portal reads Keycloak-shaped claims: roles nested in realm_access, unit in "unit".
    portal = replace(console, oidc_role_claim="realm_access.roles", oidc_police_unit_claim="unit")
    offline = replace(console, oidc_issuer=f"http://127.0.0.1:{free_port()}")  # nobody there
    unconfigured = replace(console, oidc_issuer="")
    forged = replace(console, oidc_client_secret="not-the-registered-secret")

    app = Flask(__name__)
    app.secret_key = "test-secret-for-the-page-session-cookie"
    app.extensions["warden"] = SimpleNamespace(settings=console, clock=utc_now)  # current_user()
    Babel(app)
    app.register_blueprint(make_oidc_blueprint("console_oidc", "/console", console, CONSOLE_ROLES))
    app.register_blueprint(make_oidc_blueprint("portal_oidc", "/portal", portal, PORTAL_ROLES))
    app.register_blueprint(make_oidc_blueprint("offline_oidc", "/offline", offline, CONSOLE_ROLES))
    app.register_blueprint(make_oidc_blueprint("dev_oidc", "/dev", unconfigured, CONSOLE_ROLES))
    app.register_blueprint(make_oidc_blueprint("forged_oidc", "/forged", forged, CONSOLE_ROLES))

    @app.get("/<area>/")
    @app.get("/<area>/<path:rest>")
    def protected(area: str, rest: str = ""):
        user = current_user()
        if user is None:
            return {"area": area, "user": None}, 401
        return {"area": area, "user": asdict(user)}

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Site(app=app, base=base)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def browser():
    with httpx.Client(follow_redirects=False, timeout=15.0) as client:
        yield client


class _Forms(HTMLParser):
    """The forms of a page: action, method, fields and submit buttons, as a browser sees them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action"), "method": attrs.get("method", "get"), "fields": {}}
            )
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")


def _form_with(page: httpx.Response, field: str, value: str | None = None) -> dict:
    parser = _Forms()
    parser.feed(page.text)
    for form in parser.forms:
        if field in form["fields"] and (value is None or form["fields"][field] == value):
            return form
    raise AssertionError(f"no form with {field}={value} on {page.url}:\n{page.text}")


def _submit(browser: httpx.Client, page: httpx.Response, form: dict, data: dict):
    target = urljoin(str(page.url), form["action"] or str(page.url))
    assert form["method"].lower() == "post"
    return browser.post(target, data=data)


def start_sign_in(site: Site, browser: httpx.Client, area: str, next_path: str | None = None):
    """Our login page → the provider's authorize page; returns (authorize URL, that page)."""
    query = f"?{urlencode({'next': next_path})}" if next_path is not None else ""
    started = browser.get(site.url(f"/{area}/auth/login{query}"))
    assert started.status_code == 302, started.text
    authorize_url = started.headers["location"]
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.text
    assert "Authorize" in page.text
    return authorize_url, page


def provider_callback(site, browser, area, sub, next_path=None) -> tuple[str, str]:
    """Sign in as `sub` on the provider's page; returns (authorize URL, our callback URL)."""
    authorize_url, page = start_sign_in(site, browser, area, next_path)
    form = _form_with(page, "sub")
    answered = _submit(browser, page, form, {**form["fields"], "sub": sub})
    assert answered.status_code == 302, answered.text
    callback = answered.headers["location"]
    assert callback.startswith(site.url(f"/{area}/auth/callback?")), callback
    return authorize_url, callback


def sign_in_as(site, browser, area, sub, next_path=None) -> httpx.Response:
    _, callback = provider_callback(site, browser, area, sub, next_path)
    return browser.get(callback)


def signed_in_user(site: Site, browser: httpx.Client, area: str):
    return browser.get(site.url(f"/{area}/")).json()["user"]


def test_sign_in_maps_the_claims_and_returns_to_next(provider, site, browser):
    provider.set_user("inv-001", {"role": "investigator", "branch_id": "BR-SH-07"})

    landed = sign_in_as(site, browser, "console", "inv-001", "/console/cases/c-42?tab=timeline")

    assert landed.status_code == 303
    assert landed.headers["location"] == "/console/cases/c-42?tab=timeline"
    page = browser.get(site.url(landed.headers["location"]))
    assert page.status_code == 200
    assert page.json()["user"] == {
        "sub": "inv-001",
        "role": "investigator",
        "police_unit": None,
        "branch_id": "BR-SH-07",
        "via": "oidc",
    }
    # Nothing of the protocol outlives the sign-in: state, nonce and verifier are gone.
    assert not [key for key in site.stored_session(browser) if key.startswith("_state_")]


def test_a_list_of_roles_picks_the_first_warden_role(provider, site, browser):
    provider.set_user(
        "sup-001", {"role": ["offline_access", "uma_authorization", "supervisor", "auditor"]}
    )

    landed = sign_in_as(site, browser, "console", "sup-001")

    assert landed.status_code == 303
    assert signed_in_user(site, browser, "console")["role"] == "supervisor"


def test_portal_maps_nested_roles_and_the_police_unit(provider, site, browser):
    provider.set_user(
        "officer-7",
        {"realm_access": {"roles": ["default-roles", "police_liaison"]}, "unit": "PSB-Pudong"},
    )

    landed = sign_in_as(site, browser, "portal", "officer-7", "/portal/verifications/v-1")

    assert landed.status_code == 303
    assert landed.headers["location"] == "/portal/verifications/v-1"
    user = signed_in_user(site, browser, "portal")
    assert user["role"] == "police_liaison"
    assert user["police_unit"] == "PSB-Pudong"
    assert user["via"] == "oidc"


def test_a_police_liaison_without_a_unit_is_refused(provider, site, browser):
    provider.set_user("officer-8", {"realm_access": {"roles": ["police_liaison"]}})

    refused = sign_in_as(site, browser, "portal", "officer-8")

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "names no police unit" in refused.text
    assert signed_in_user(site, browser, "portal") is None


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"role": "teller"}, "Your role may not use this part of Warden."),
        ({"role": "police_liaison", "police_unit": "PSB-1"}, "Your role may not use this part"),
        ({"role": "root"}, "Your account has no Warden role"),
        ({}, "Your account has no Warden role"),
    ],
)
def test_a_role_the_area_does_not_allow_gets_a_403_page(provider, site, browser, claims, says):
    provider.set_user("someone", claims)

    refused = sign_in_as(site, browser, "console", "someone")

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert says in refused.text
    assert "Traceback" not in refused.text
    assert signed_in_user(site, browser, "console") is None
    assert "user" not in site.stored_session(browser)


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(provider, site, browser):
    provider.set_user("aud-001", {"role": "auditor"})

    authorize_url, callback = provider_callback(site, browser, "console", "aud-001")

    assert authorize_url.startswith(provider.discovery()["authorization_endpoint"] + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["scope"].split() == ["openid", "profile"]
    assert query["redirect_uri"] == site.url("/console/auth/callback")
    assert query["state"] and query["nonce"]
    # The challenge is S256 of the verifier the app keeps for the token request (RFC 7636 §4.2).
    pending = site.stored_session(browser)[f"_state_console_oidc_{query['state']}"]["data"]
    verifier = pending["code_verifier"]
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge"] != verifier
    assert pending["nonce"] == query["nonce"]
    assert parse_qs(urlsplit(callback).query)["state"] == [query["state"]]

    assert browser.get(callback).status_code == 303
    assert signed_in_user(site, browser, "console")["sub"] == "aud-001"


def test_a_tampered_state_is_refused_with_a_400_page(provider, site, browser):
    provider.set_user("inv-002", {"role": "investigator"})
    _, callback = provider_callback(site, browser, "console", "inv-002")
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    tampered = urlunsplit(parts._replace(query=urlencode({**query, "state": query["state"] + "x"})))

    refused = browser.get(tampered)

    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "not started here" in refused.text
    assert signed_in_user(site, browser, "console") is None
    # The genuine answer still works: it was the state, and only the state, that was refused.
    assert browser.get(callback).status_code == 303
    assert signed_in_user(site, browser, "console")["sub"] == "inv-002"


def test_a_replayed_callback_is_refused_not_a_500(provider, site, browser):
    provider.set_user("inv-003", {"role": "investigator"})
    _, callback = provider_callback(site, browser, "console", "inv-003")
    assert browser.get(callback).status_code == 303

    replayed = browser.get(callback)

    assert replayed.status_code == 400
    assert "not started here" in replayed.text


def test_a_callback_from_another_browser_signs_nobody_in(provider, site, browser):
    """Login CSRF: a code and state minted in the attacker's browser mean nothing in ours."""
    provider.set_user("attacker", {"role": "supervisor"})
    with httpx.Client(follow_redirects=False, timeout=15.0) as attacker:
        _, callback = provider_callback(site, attacker, "console", "attacker")

    refused = browser.get(callback)

    assert refused.status_code == 400
    assert signed_in_user(site, browser, "console") is None


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example/console/",
        "/\\evil.example/console/",
        "/portal/",
        "/console/../portal/",
    ],
)
def test_an_off_area_next_is_ignored(provider, site, browser, evil):
    provider.set_user("inv-004", {"role": "investigator"})

    landed = sign_in_as(site, browser, "console", "inv-004", evil)

    assert landed.status_code == 303
    assert landed.headers["location"] == "/console/"
    assert signed_in_user(site, browser, "console")["sub"] == "inv-004"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/console/", "/console/"),
        ("/console", "/console"),
        ("/console/queues/mine?sla=breached", "/console/queues/mine?sla=breached"),
        ("/console/cases/c-1#timeline", "/console/cases/c-1"),
        (None, None),
        ("", None),
        ("https://evil.example/console/", None),
        ("http:/console/", None),
        ("javascript:alert(1)", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/\t/evil.example", None),
        ("/console/%2e%2e/portal/", None),
        ("/console/./x", None),
        ("/consoleevil/", None),
        ("console/", None),
        ("/console/" + "a" * 3000, None),
    ],
)
def test_safe_next_accepts_only_paths_inside_the_area(candidate, expected):
    assert safe_next(candidate, "/console") == expected


def test_cancelling_at_the_provider_gives_a_400_page(site, browser):
    _, page = start_sign_in(site, browser, "console")
    form = _form_with(page, "action", "deny")

    answered = _submit(browser, page, form, {"action": "deny"})
    assert answered.status_code == 302
    callback = answered.headers["location"]
    assert "error=access_denied" in callback
    refused = browser.get(callback)

    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "Sign-in was cancelled" in refused.text
    assert signed_in_user(site, browser, "console") is None


def test_a_token_request_the_provider_refuses_gives_a_400_page(provider, site, browser):
    """The provider checks the client secret at its token endpoint; a wrong one gets no token."""
    provider.set_user("inv-005", {"role": "investigator"})

    refused = sign_in_as(site, browser, "forged", "inv-005")

    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "did not accept this sign-in" in refused.text
    assert signed_in_user(site, browser, "forged") is None


def test_an_unreachable_provider_gives_a_502_page(site, browser):
    answered = browser.get(site.url("/offline/auth/login?next=/offline/x"))

    assert answered.status_code == 502
    assert answered.headers["content-type"].startswith("text/html")
    assert "cannot be reached" in answered.text


def test_without_an_issuer_the_oidc_routes_do_not_exist(site, browser):
    assert browser.get(site.url("/dev/auth/login")).status_code == 404
    assert browser.get(site.url("/dev/auth/callback?code=x&state=y")).status_code == 404
