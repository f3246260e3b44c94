"""Helpers for the browser suite: real Chromium driving the console and the police portal.

The e2e harness (its token-holding Api client, `eventually` and the DOMAIN §9 story steps) is
imported from tests/e2e, not copied: both files are loaded here under private module names,
because every conftest directory is a top-level `conftest` module in pytest's eyes.
"""

import importlib.util
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from axe_playwright_python.sync_playwright import Axe

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Playwright's own waits (a click, a navigation): long enough for a loaded CI machine.
ACTION_TIMEOUT_MS = 15_000
# How long a cross-service effect (a withdrawal blocked, a notice sent) may take to show.
EVENTUAL_SECONDS = 45.0
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _load_e2e(name: str):
    spec = importlib.util.spec_from_file_location(f"e2e_{name}", TESTS / "e2e" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_e2e_harness():
    """tests/e2e/conftest.py, then tests/e2e/story.py (whose `from conftest import` means it)."""
    e2e_conftest = _load_e2e("conftest")
    before = sys.modules.get("conftest")
    sys.modules["conftest"] = e2e_conftest
    try:
        e2e_story = _load_e2e("story")
    finally:
        if before is None:
            sys.modules.pop("conftest", None)
        else:
            sys.modules["conftest"] = before
    return e2e_conftest, e2e_story


e2e, story = _load_e2e_harness()
Api, SECRET, eventually = e2e.Api, e2e.SECRET, e2e.eventually


# --- seeding over HTTP, exactly as the e2e stories do -----------------------------------------


def held_withdrawal(api, birth=None) -> dict:
    """Story 2 up to the hold: a 68-year-old's 80,000.00 cash for investment, its case open.

    Returns {"customer", "account", "withdrawal", "case"} (the API's JSON of each).
    """
    from datetime import date

    customer = story.register_customer(api, birth or date(1958, 3, 14))
    opened = story.open_account(api, customer["id"])
    appointment = story.book_appointment(api, opened["id"], "80000.00", "investment")
    held = story.request_withdrawal(
        api,
        opened["id"],
        "80000.00",
        "counter_cash",
        "investment",
        appointment_id=appointment["id"],
    )
    assert held["status"] == "held", held
    assert {"ELDERLY_LARGE_CASH", "RISKY_PURPOSE"} <= set(held["reasons"]), held
    case = story.case_for(api, withdrawal_id=held["id"], case_type="police_verification")
    return {"customer": customer, "account": opened, "withdrawal": held, "case": case}


def requested_verification(api, unit: str = "PSB-HF-001") -> dict:
    """A held withdrawal whose case an investigator (i-007) sent to `unit` over the API."""
    seeded = held_withdrawal(api)
    case_id = seeded["case"]["id"]
    story.act(api, case_id, "claim", {})
    request = {"police_unit": unit, "summary": "fake investment pattern"}
    seeded["verification"] = story.act(api, case_id, "verification-requests", request, status=201)
    return seeded


def referred_account(api) -> dict:
    """Story 1: teller t-001 opens an account with an unsigned employment proof; its review case."""
    from datetime import date

    customer = story.register_customer(api, date(1990, 6, 1), "engineer", "Hefei Tech")
    proof = {"type": "employment_proof", "employer": "Hefei Tech"}  # no signed_on
    opened = story.open_account(
        api, customer["id"], documents=[proof], purpose="salary", detail="pay"
    )
    assert opened["status"] == "pending_review", opened
    case = story.case_for(api, account_id=opened["id"], case_type="due_diligence_review")
    return {"customer": customer, "account": opened, "case": case}


def case_events(api, case_id: str) -> list[str]:
    return story.event_types(api, "cases", f"/v1/cases/{case_id}")


# --- driving pages -----------------------------------------------------------------------------


def submit(page, form):
    """Press the form's submit button and wait for the page it leads to; returns the response."""
    button = form.locator("button[type=submit], input[type=submit], button:not([type])").last
    with page.expect_navigation(timeout=ACTION_TIMEOUT_MS) as navigation:
        button.click()
    return navigation.value


def set_field(form, name: str, value: str) -> None:
    """Fill a control by its name, whatever it is: a select, radios, a textarea or an input."""
    controls = form.locator(f'[name="{name}"]')
    assert controls.count() > 0, f"no control named {name!r} in the form"
    first = controls.first
    tag = first.evaluate("e => e.tagName.toLowerCase()")
    kind = (first.get_attribute("type") or "").lower()
    if tag == "select":
        first.select_option(value)
    elif kind in ("radio", "checkbox"):
        form.locator(f'[name="{name}"][value="{value}"]').check()
    else:
        first.fill(value)


def fill_and_submit(page, form_id: str, values: dict):
    """Fill `<form id=form_id>` and submit it; returns the response of the page it leads to."""
    form = page.locator(f"form#{form_id}")
    assert form.count() == 1, f"no form#{form_id} on {page.url}"
    for name, value in values.items():
        set_field(form, name, value)
    return submit(page, form)


def sign_in(page, base: str, area: str, role: str, sub: str, police_unit=None, next_path=None):
    """Through the development sign-in form of `area` ("console" or "portal").

    Returns the response of the page the form leads to (the area's home, or `next_path`).
    A role the area does not serve is offered by rewriting the role control, as a crafted
    request would: the server, not the form, must refuse it.
    """
    url = f"{base}/{area}/sign-in" + (f"?next={next_path}" if next_path else "")
    page.goto(url)
    form = page.locator("form", has=page.locator('[name="sub"]')).first
    role_control = form.locator('[name="role"]')
    offered = role_control.evaluate_all(
        "els => els.flatMap(e => e.tagName === 'SELECT' ? [...e.options].map(o => o.value)"
        " : [e.value])"
    )
    if role not in offered:
        role_control.first.evaluate(
            "(e, role) => { if (e.tagName === 'SELECT') e.add(new Option(role, role));"
            " else { e.type = 'text'; e.value = role; } }",
            role,
        )
    set_field(form, "role", role)
    set_field(form, "sub", sub)
    if police_unit is not None:
        set_field(form, "police_unit", police_unit)
    return submit(page, form)


def field_value(page, name: str) -> str | None:
    """The raw value of a case header field: `<dd data-field=name data-value=…>`."""
    cell = page.locator(f'[data-field="{name}"]')
    if cell.count() == 0:
        return None
    return cell.first.get_attribute("data-value")


def reload_until(page, probe, what: str, timeout: float = EVENTUAL_SECONDS):
    """Reload the page until `probe(page)` is truthy (what another service does is eventual)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe(page)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not on {page.url} within {timeout}s: {what}")
        time.sleep(0.5)
        page.reload()


def without_separators(text: str) -> str:
    """Thousands separators dropped: 80,000.00 → 80000.00."""
    return re.sub(r"(?<=\d),(?=\d{3})", "", text)


def text_of(page) -> str:
    """The page's visible text, without thousands separators."""
    return without_separators(page.locator("body").inner_text())


def horizontal_overflow(page) -> list[str]:
    """[] when the page does not scroll sideways, else the elements sticking out on the right."""
    return page.evaluate(
        """() => {
        if (document.documentElement.scrollWidth <= window.innerWidth) return [];
        const out = [...document.querySelectorAll("body *")]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
                    + `${e.className && typeof e.className === "string"
                         ? "." + e.className.trim().split(/\\s+/).join(".") : ""}`
                    + ` right=${Math.round(e.getBoundingClientRect().right)}`);
        return [`scrollWidth ${document.documentElement.scrollWidth} > `
                + `innerWidth ${window.innerWidth}`, ...out.slice(0, 12)];
        }"""
    )


# --- accessibility and screenshots -------------------------------------------------------------

AXE = Axe()  # axe-core's JavaScript ships inside the wheel: nothing is fetched
BLOCKING_IMPACTS = ("serious", "critical")


def accessibility_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


def check_accessibility(page) -> None:
    """Zero serious or critical axe-core violations on the page as it is now."""
    results = AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        report = accessibility_report(blocking)
        print(f"accessibility violations on {page.url}:\n{report}")
        raise AssertionError(f"{len(blocking)} serious/critical on {page.url}:\n{report}")


def screenshot(page, name: str, both_languages: bool = True) -> Path | None:
    """docs/screenshots/<name>-<lang>.png of the whole page, only when WARDEN_SCREENSHOTS=1.

    A page reached by GET is shot in the other language too, in a second tab of the same
    session, which is then switched back so the test goes on in its own language.
    """
    if os.environ.get("WARDEN_SCREENSHOTS") != "1":
        return None
    language = page.evaluate("document.documentElement.lang || navigator.language")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{language}.png"
    page.screenshot(path=str(path), full_page=True)
    if both_languages:
        other = "en" if language == "zh-CN" else "zh-CN"
        tab = page.context.new_page()
        tab.set_viewport_size(page.viewport_size)
        tab.goto(_with_language(page.url, other))
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-{other}.png"), full_page=True)
        tab.goto(_with_language(page.url, language))
        tab.close()
    return path


def _with_language(url: str, language: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"] + [("lang", language)]
    return urlunsplit(parts._replace(query=urlencode(query)))
