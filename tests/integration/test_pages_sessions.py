"""The page machinery as a user meets it on the console: sessions, CSRF, language, errors."""

from datetime import UTC, datetime, timedelta

import pytest
from page_support import csrf_of, page_sign_in

from services.cases import create_app

SECRET = "pages-test-secret-of-at-least-32-bytes!"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def console(tmp_path, clock, **config):
    app = create_app(
        {"database_url": f"sqlite:///{tmp_path}/cases.db", "jwt_secret": SECRET, **config}
    )
    app.extensions["warden"].clock = clock
    return app


@pytest.fixture
def app(tmp_path, clock):
    app = console(tmp_path, clock, session_idle_minutes=30.0)
    yield app
    app.extensions["warden"].engine.dispose()


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_console(app):
    browser = app.test_client()
    cookie = browser.get("/console/sign-in").headers["Set-Cookie"]
    assert cookie.startswith("warden_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie
    over_https = app.test_client().get("/console/sign-in", base_url="https://bank.example")
    assert "Secure" in over_https.headers["Set-Cookie"]


def test_an_idle_session_ends_and_the_sign_in_page_says_why(app, clock):
    browser = app.test_client()
    page_sign_in(browser, "/console", "investigator", "i-007")
    clock.now += timedelta(minutes=29)
    assert browser.get("/console/").status_code == 200  # activity keeps it alive
    clock.now += timedelta(minutes=31)
    gone = browser.get("/console/")
    assert gone.status_code == 303 and "expired=1" in gone.headers["Location"]
    assert "next=%2Fconsole%2F" in gone.headers["Location"]
    page = browser.get(gone.headers["Location"]).get_data(as_text=True)
    assert 'data-notice="expired"' in page


def test_signing_out_needs_the_forms_token_and_ends_the_session(app):
    browser = app.test_client()
    token = page_sign_in(browser, "/console", "supervisor", "s-001")
    refused = browser.post("/console/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 400 and 'data-status="400"' in refused.get_data(as_text=True)
    assert browser.get("/console/").status_code == 200  # still signed in
    assert browser.post("/console/sign-out", data={"csrf_token": token}).status_code == 303
    assert browser.get("/console/").status_code == 303


def test_signing_in_starts_a_fresh_session_with_a_fresh_token(app):
    browser = app.test_client()
    before = csrf_of(browser.get("/console/sign-in").get_data(as_text=True))
    after = page_sign_in(browser, "/console", "investigator", "i-007")
    assert before != after
    assert browser.post("/console/sign-out", data={"csrf_token": before}).status_code == 400


def test_roles_outside_the_console_are_refused(app):
    browser = app.test_client()
    token = csrf_of(browser.get("/console/sign-in").get_data(as_text=True))
    for role in ("teller", "police_liaison", "system"):
        form = {"role": role, "sub": "x", "police_unit": "U", "csrf_token": token}
        answer = browser.post("/console/sign-in", data=form)
        assert answer.status_code == 403 and 'data-status="403"' in answer.get_data(as_text=True)
    assert browser.get("/console/").status_code == 303  # and nobody was signed in
    form = {"role": "nobody", "sub": "x", "csrf_token": token}
    assert browser.post("/console/sign-in", data=form).status_code == 422


def test_chinese_by_default_english_on_request_and_the_choice_is_kept(app):
    browser = app.test_client()
    chinese = browser.get("/console/sign-in").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "<h1>登录</h1>" in chinese
    english = browser.get("/console/sign-in", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "<h1>Sign in</h1>" in english.get_data(as_text=True)
    browser.get("/console/sign-in?lang=en")
    assert '<html lang="en">' in browser.get("/console/sign-in").get_data(as_text=True)


def test_errors_on_pages_are_pages_and_the_api_keeps_its_problems(app):
    browser = app.test_client()
    missing = browser.get("/console/no-such-page")
    assert missing.status_code == 404 and missing.content_type.startswith("text/html")
    assert "Traceback" not in missing.get_data(as_text=True)
    api = browser.get("/v1/no-such-thing", headers={"Authorization": "Bearer x"})
    assert api.content_type == "application/problem+json"


def test_production_mode_offers_only_the_banks_sign_in(tmp_path, clock):
    app = console(
        tmp_path,
        clock,
        mode="production",
        oidc_issuer="http://127.0.0.1:9",  # nothing listens: the page only links to it
        oidc_client_id="warden-console",
    )
    browser = app.test_client()
    page = browser.get("/console/sign-in").get_data(as_text=True)
    assert 'name="role"' not in page
    assert "/console/auth/login" in page
    with browser.session_transaction() as session:
        session["csrf"] = "a-valid-token"  # so it is the production refusal that answers
    form = {"role": "supervisor", "sub": "s", "csrf_token": "a-valid-token"}
    assert browser.post("/console/sign-in", data=form).status_code == 404
    assert browser.get("/console/").status_code == 303
