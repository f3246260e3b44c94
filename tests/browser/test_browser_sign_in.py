"""Sessions and the bank's identity provider in Chromium: idle expiry, roles an area refuses.

This module's system runs with a six-second idle timeout and a real OpenID provider
(shared.testing.oidc_provider), whose claims say who is a teller, an investigator, a liaison.
"""

import time

import pytest
from browser_support import check_accessibility, set_field, sign_in, submit

from shared.testing.oidc_provider import OidcProvider

IDLE_MINUTES = 0.1  # six seconds: a slow page load on a busy machine is not idling
IDLE_SECONDS = IDLE_MINUTES * 60


@pytest.fixture(scope="module")
def oidc():
    with OidcProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def system_env(ports, oidc):
    callbacks = [
        f"http://127.0.0.1:{ports['cases']}/console/auth/callback",
        f"http://127.0.0.1:{ports['portal']}/portal/auth/callback",
    ]
    client_id, client_secret = oidc.register_client(callbacks)
    return {
        "WARDEN_SESSION_IDLE_MINUTES": str(IDLE_MINUTES),
        "WARDEN_OIDC_ISSUER": oidc.issuer,
        "WARDEN_OIDC_CLIENT_ID": client_id,
        "WARDEN_OIDC_CLIENT_SECRET": client_secret,
    }


def oidc_sign_in(page, base: str, area: str, sub: str):
    """From the area's sign-in page through the provider's authorize page and back."""
    page.goto(f"{base}/{area}/sign-in")
    with page.expect_navigation():
        page.locator(f'a[href*="/{area}/auth/login"]').click()
    assert not page.url.startswith(base), f"not sent to the identity provider: {page.url}"
    page.locator('input[name="sub"]').fill(sub)
    page.locator("button", has_text="Authorize").click()
    page.wait_for_url(f"{base}/{area}/**")
    page.wait_for_load_state()
    return page


def error_status(page) -> str | None:
    shown = page.locator("p[data-status]")
    return shown.first.get_attribute("data-status") if shown.count() else None


def test_an_idle_session_ends_and_sign_in_returns_to_the_page(console, page):
    sign_in(page, console, "console", "investigator", "i-007")
    queue = f"{console}/console/queues/unassigned"
    # Using the console keeps the session alive past the idle timeout...
    started = time.monotonic()
    while time.monotonic() - started < IDLE_SECONDS + 1:
        assert page.goto(queue).status == 200
        assert "/sign-in" not in page.url, "an active session expired"
        time.sleep(IDLE_SECONDS / 4)
    # ...and idling past it ends the session.
    time.sleep(IDLE_SECONDS + 2)
    page.goto(queue)
    assert "/console/sign-in" in page.url, "an idle session still works"
    assert page.locator('[data-notice="expired"]').count() == 1, "no expiry message"
    check_accessibility(page)

    form = page.locator("form", has=page.locator('[name="sub"]')).first
    set_field(form, "role", "investigator")
    set_field(form, "sub", "i-007")
    assert submit(page, form).status == 200
    assert page.url == queue


def test_the_identity_providers_people_enter_only_the_area_for_their_role(
    oidc, console, portal, new_page
):
    oidc.set_user("t-100", {"role": "teller", "branch_id": "HF-01"})
    oidc.set_user("i-100", {"role": "investigator"})
    oidc.set_user("p-100", {"role": "police_liaison", "police_unit": "PSB-HF-001"})

    teller = oidc_sign_in(new_page(), console, "console", "t-100")
    assert error_status(teller) == "403", f"a teller was not refused the console: {teller.url}"
    teller.goto(f"{console}/console/")
    assert "/console/sign-in" in teller.url, "a refused teller is signed in anyway"

    investigator = oidc_sign_in(new_page(), portal, "portal", "i-100")
    assert error_status(investigator) == "403", "an investigator was not refused the portal"
    check_accessibility(investigator)

    # The same provider lets each of them into their own area.
    oidc_sign_in(investigator, console, "console", "i-100")
    assert investigator.url.rstrip("/").endswith("/console")
    assert error_status(investigator) is None and "i-100" in investigator.content()
    liaison = oidc_sign_in(new_page(), portal, "portal", "p-100")
    assert liaison.url.rstrip("/").endswith("/portal")
    assert error_status(liaison) is None and "PSB-HF-001" in liaison.content()
