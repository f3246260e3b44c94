"""The console (and the sign-in pages) in Chromium: languages, refusals shown on the page,
forms that did not come from the site, the dashboard."""

import os
import re

from babel.messages.pofile import read_po
from browser_support import (
    ROOT,
    case_events,
    check_accessibility,
    field_value,
    fill_and_submit,
    held_withdrawal,
    horizontal_overflow,
    referred_account,
    requested_verification,
    screenshot,
    set_field,
    sign_in,
    story,
    submit,
    text_of,
)

CHARTS = (
    "open_by_queue",
    "sla_compliance",
    "holds_by_reason",
    "police_outcomes",
    "hold_to_confirmation",
)
CJK = re.compile(r"[\u4e00-\u9fff]")
SHARED_CATALOG = ROOT / "shared/web/pages/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def chinese_for(msgid: str) -> str:
    """The shared catalog's Chinese for `msgid` (what a zh-CN page must say)."""
    with SHARED_CATALOG.open("rb") as source:
        message = read_po(source).get(msgid)
    assert message is not None and message.string, f"the zh_CN catalog has no {msgid!r}"
    assert CJK.search(message.string), f"the zh_CN catalog's {msgid!r} is not Chinese"
    return message.string


def timeline(page) -> list[str]:
    return page.locator("li[data-event-type]").evaluate_all(
        "items => items.map(i => i.dataset.eventType)"
    )


def csrf_token_of(page) -> str:
    return page.locator('input[name="csrf_token"]').first.get_attribute("value")


def test_sign_in_pages_render_and_pass_axe(page, console, portal):
    for base, area in ((console, "console"), (portal, "portal")):
        response = page.goto(f"{base}/{area}/sign-in")
        assert response.status == 200, (area, response.status)
        assert page.locator('form [name="role"]').count() > 0
        assert page.locator('form [name="sub"]').count() == 1
        assert page.locator('form input[name="csrf_token"]').count() == 1
        check_accessibility(page)
        screenshot(page, f"{area}-sign-in")


def test_pages_are_chinese_by_default_and_english_for_an_english_browser(new_page, console, portal):
    chinese, english = new_page("zh-CN"), new_page("en-US")
    headings = []
    for base, area in ((console, "console"), (portal, "portal")):
        chinese.goto(f"{base}/{area}/sign-in")
        screenshot(chinese, f"{area}-sign-in")
        assert chinese.locator("html").get_attribute("lang") == "zh-CN"
        headings.append(chinese.locator("h1").inner_text().strip())
        english.goto(f"{base}/{area}/sign-in")
        screenshot(english, f"{area}-sign-in")
        assert english.locator("html").get_attribute("lang") == "en"
        assert not CJK.search(english.locator("h1").inner_text()), "Chinese on the English page"
    assert headings == [chinese_for("Sign in")] * 2, "the zh-CN sign-in pages are not Chinese"

    # The language link switches, and the choice is remembered across pages.
    chinese.goto(f"{console}/console/sign-in")
    with chinese.expect_navigation():
        chinese.locator('a[hreflang="en"]').click()
    assert chinese.locator("html").get_attribute("lang") == "en"
    chinese.goto(f"{console}/console/sign-in")
    assert chinese.locator("html").get_attribute("lang") == "en"


def test_a_form_without_the_sites_token_is_refused_and_changes_nothing(api, console, page):
    case_id = held_withdrawal(api)["case"]["id"]
    sign_in(page, console, "console", "investigator", "i-007")
    case_url = f"{console}/console/cases/{case_id}"
    page.goto(case_url)
    shown, stored = timeline(page), case_events(api, case_id)
    assert shown, "the case page shows no timeline"

    for tamper, text in (("e => e.remove()", "no token"), ("e => e.value = 'forged'", "forged")):
        page.goto(case_url)
        form = page.locator("form#form-notes")
        form.locator('input[name="csrf_token"]').evaluate(tamper)
        set_field(form, "text", f"note with {text}")
        response = submit(page, form)
        assert response.status == 400, (text, response.status)
        assert page.locator('[data-status="400"]').count() == 1, "not the expired-form page"

    # A request made outside any page of the site, with the session's cookie.
    answer = page.request.post(f"{case_url}/notes", form={"text": "note without a form"})
    assert answer.status == 400
    assert "text/html" in answer.headers["content-type"]

    page.goto(case_url)
    assert timeline(page) == shown
    assert case_events(api, case_id) == stored
    assert "note with" not in text_of(page) and "note without" not in text_of(page)


def test_four_eyes_refusal_is_shown_on_the_page_then_a_second_person_resolves(
    api, console, new_page
):
    case_id = referred_account(api)["case"]["id"]  # opened by teller t-001
    opener = new_page()
    sign_in(opener, console, "console", "supervisor", "t-001")
    opener.goto(f"{console}/console/cases/{case_id}")
    assert field_value(opener, "case_type") == "due_diligence_review"
    assert fill_and_submit(opener, "form-claim", {}).status == 200

    reason = "proof signed at the counter today"
    response = fill_and_submit(opener, "form-resolution", {"outcome": "approved", "reason": reason})
    assert response.status == 403
    summary = opener.locator("#error-summary")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    assert summary.inner_text().strip(), "the error summary says nothing"
    assert opener.locator('#form-resolution [name="reason"]').input_value() == reason
    assert field_value(opener, "status") == "in_progress"
    check_accessibility(opener)
    screenshot(opener, "console-four-eyes-refused", both_languages=False)
    assert "CaseResolved" not in case_events(api, case_id)
    if os.environ.get("WARDEN_SCREENSHOTS") == "1":  # the same refusal, read in English
        opener.goto(f"{console}/console/cases/{case_id}?lang=en")
        fill_and_submit(opener, "form-resolution", {"outcome": "approved", "reason": reason})
        screenshot(opener, "console-four-eyes-refused", both_languages=False)
        opener.goto(f"{console}/console/cases/{case_id}?lang=zh-CN")

    other = new_page()
    sign_in(other, console, "console", "supervisor", "s-002")
    other.goto(f"{console}/console/cases/{case_id}")
    response = fill_and_submit(other, "form-resolution", {"outcome": "approved", "reason": reason})
    assert response.status == 200
    assert other.locator("#error-summary").count() == 0
    assert field_value(other, "status") == "resolved"
    assert other.locator(".flash").count() == 1


def test_claiming_a_case_someone_else_just_took_says_who_has_it(api, console, page):
    case_id = held_withdrawal(api)["case"]["id"]
    sign_in(page, console, "console", "investigator", "i-007")
    page.goto(f"{console}/console/cases/{case_id}")
    assert page.locator("form#form-claim").count() == 1

    story.act(api, case_id, "claim", {}, who={"role": "investigator", "sub": "i-099"})
    response = fill_and_submit(page, "form-claim", {})
    assert response.status == 409
    summary = page.locator("#error-summary")
    assert summary.count() == 1 and "i-099" in summary.inner_text()
    assert field_value(page, "assignee") == "i-099"
    check_accessibility(page)


def test_dashboard_draws_every_chart_with_data(api, console, page):
    # A hold the police have answered, so every chart has something to draw.
    verification_id = requested_verification(api)["verification"]["id"]
    answer = {"outcome": "cleared", "police_reference": "HF-1", "officer": "Li Wei", "notes": "-"}
    story.ok(
        api["cases"].call(
            "POST",
            f"/v1/verifications/{verification_id}/confirmation",
            json=answer,
            **story.liaison("PSB-HF-001"),
        )
    )
    sign_in(page, console, "console", "supervisor", "s-001")
    response = page.goto(f"{console}/console/dashboard")
    screenshot(page, "console-dashboard")
    assert response.status == 200
    for chart in CHARTS:
        figure = page.locator(f'figure[data-chart="{chart}"]')
        assert figure.count() == 1, f"no {chart} chart"
        svg = figure.locator("svg")
        assert svg.count() >= 1, f"the {chart} chart has no svg"
        assert svg.first.get_attribute("role") == "img"
        assert svg.first.locator(":scope > title").count() == 1, f"the {chart} svg has no title"
        assert figure.locator("table").count() == 1, f"the {chart} chart has no data table"
    for chart in ("open_by_queue", "holds_by_reason", "police_outcomes"):
        table = page.locator(f'figure[data-chart="{chart}"] table')
        assert re.search(r"[1-9]", table.inner_text()), f"{chart} counts nothing"
    overflow = horizontal_overflow(page)
    assert not overflow, "the dashboard scrolls sideways on a desktop:\n" + "\n".join(overflow)
    check_accessibility(page)


def test_roles_the_development_sign_in_does_not_serve_are_refused(api, console, portal, new_page):
    teller = new_page()
    assert sign_in(teller, console, "console", "teller", "t-001").status == 403
    assert teller.locator('p[data-status="403"]').count() == 1
    teller.goto(f"{console}/console/")
    assert "/console/sign-in" in teller.url, "a teller got into the console"

    investigator = new_page()
    assert sign_in(investigator, portal, "portal", "investigator", "i-007").status == 403
    investigator.goto(f"{portal}/portal/")
    assert "/portal/sign-in" in investigator.url, "an investigator got into the portal"

    # A console session is no portal session, even on the same host.
    sign_in(investigator, console, "console", "investigator", "i-007")
    investigator.goto(f"{portal}/portal/")
    assert "/portal/sign-in" in investigator.url


def test_an_auditor_reads_a_case_but_may_not_act_on_it(api, console, page):
    case_id = held_withdrawal(api)["case"]["id"]
    sign_in(page, console, "console", "auditor", "a-001")
    case_url = f"{console}/console/cases/{case_id}"
    assert page.goto(case_url).status == 200
    assert field_value(page, "status") == "open"
    assert page.locator("form#form-claim").count() == 0, "an auditor is offered to claim"
    answer = page.request.post(f"{case_url}/claim", form={"csrf_token": csrf_token_of(page)})
    assert answer.status == 403
    assert "CaseAssigned" not in case_events(api, case_id)
