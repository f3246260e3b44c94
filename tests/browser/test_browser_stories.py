"""DOMAIN §9 stories 2-4 through the pages: the console for the bank, the portal for the police.

The bank's systems (teller, screening) act over the API as in tests/e2e; every investigator
and police step is taken in Chromium, by filling in and submitting the pages' forms.
"""

from datetime import date

from browser_support import (
    PHONE,
    case_events,
    check_accessibility,
    field_value,
    fill_and_submit,
    held_withdrawal,
    horizontal_overflow,
    reload_until,
    requested_verification,
    screenshot,
    sign_in,
    story,
    submit,
    text_of,
    without_separators,
)

BIRTH = date(1958, 3, 14)  # the story's 68-year-old


def age_today(birth: date) -> int:
    today = date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def open_case_from_queue(page, console: str, case_id: str) -> None:
    """The unassigned queue lists the new case; its row links to the case page."""
    page.goto(f"{console}/console/queues/unassigned")
    row = page.locator(f'tr[data-case-id="{case_id}"]')
    assert row.count() == 1, f"case {case_id} is not in the unassigned queue"
    check_accessibility(page)
    screenshot(page, "console-queue-unassigned")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.url.split("?")[0].endswith(f"/console/cases/{case_id}"), page.url


def timeline(page) -> list[str]:
    return page.locator("li[data-event-type]").evaluate_all(
        "items => items.map(i => i.dataset.eventType)"
    )


def work_the_case_to_the_police(page, console: str, seeded: dict) -> str:
    """Claim, read the explanation, record the contact, ask PSB-HF-001; the verification id."""
    case_id = seeded["case"]["id"]
    open_case_from_queue(page, console, case_id)
    assert field_value(page, "status") == "open"
    assert field_value(page, "case_type") == "police_verification"

    assert fill_and_submit(page, "form-claim", {}).status == 200
    assert field_value(page, "status") == "in_progress"
    assert field_value(page, "assignee") == "i-007"
    mine = page.url
    page.goto(f"{console}/console/")
    assert page.locator(f'tr[data-case-id="{case_id}"]').count() == 1, "not in My cases"
    check_accessibility(page)
    screenshot(page, "console-queue-mine")
    page.goto(mine)

    # Why the money was held: each verdict with its threshold and what it observed.
    for rule, threshold, observed in (
        ("ELDERLY_LARGE_CASH", "50000.00", ("80000.00", str(age_today(BIRTH)))),
        ("RISKY_PURPOSE", "10000.00", ("80000.00",)),
    ):
        row = page.locator(f'tr[data-rule="{rule}"]')
        assert row.count() == 1, f"{rule} is not explained on the case page"
        assert row.get_attribute("data-applied") == "true", f"{rule} is not shown as applied"
        explained = without_separators(row.inner_text())
        for value in (threshold, *observed):
            assert value in explained, f"{rule}'s row does not show {value}: {explained!r}"

    contact = {"channel": "in_person", "outcome": "customer_insists", "summary": "WeChat group"}
    assert fill_and_submit(page, "form-contacts", contact).status == 200
    assert "CustomerContactRecorded" in timeline(page)
    assert "WeChat group" in text_of(page)

    request = {"police_unit": "PSB-HF-001", "summary": "fake investment pattern"}
    assert fill_and_submit(page, "form-verification-requests", request).status == 200
    assert field_value(page, "status") == "awaiting_police"
    assert "PoliceVerificationRequested" in timeline(page)
    check_accessibility(page)
    screenshot(page, "console-case")

    requests = page.locator("tr[data-verification-id]")
    assert requests.count() == 1, "the case page does not list the verification request"
    assert requests.get_attribute("data-status") == "pending"
    assert "PSB-HF-001" in requests.inner_text()
    return requests.get_attribute("data-verification-id")


def case_json(api, case_id: str):
    return api["cases"].call("GET", f"/v1/cases/{case_id}", **story.INVESTIGATOR)


def confirm_in_portal(page, portal: str, verification_id: str, outcome: str) -> None:
    """PSB-HF-001's liaison opens the request, fills the form, checks the answers, confirms."""
    sign_in(page, portal, "portal", "police_liaison", "p-PSB-HF-001", police_unit="PSB-HF-001")
    page.goto(f"{portal}/portal/")
    row = page.locator(f'tr[data-verification-id="{verification_id}"]')
    assert row.count() == 1, f"{verification_id} is not in PSB-HF-001's list"
    assert row.get_attribute("data-status") == "pending"
    check_accessibility(page)
    screenshot(page, "portal-list")

    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.url.split("?")[0].endswith(f"/portal/verifications/{verification_id}")
    text = text_of(page)
    assert "80000.00" in text and "fake investment pattern" in text
    assert str(age_today(BIRTH)) in text
    assert "王芳" not in text, "the portal shows the customer's whole name"
    check_accessibility(page)
    screenshot(page, "portal-request")

    answers = {
        "outcome": outcome,
        "police_reference": "HF-2026-42",
        "officer": "Li Wei",
        "notes": "confirmed by phone",
    }
    assert fill_and_submit(page, "form-check", answers).status == 200
    assert page.locator("form#form-confirm").count() == 1, "no check-your-answers step"
    assert field_value(page, "outcome") == outcome
    checked = text_of(page)
    assert "HF-2026-42" in checked and "Li Wei" in checked and "confirmed by phone" in checked
    check_accessibility(page)
    screenshot(page, "portal-check-answers")

    response = submit(page, page.locator("form#form-confirm"))
    assert response.status == 200
    assert page.url.split("?")[0].endswith(f"/portal/verifications/{verification_id}")
    assert page.locator(".flash").count() == 1, "no message that the confirmation was recorded"
    assert field_value(page, "status") == "confirmed"
    assert field_value(page, "outcome") == outcome
    page.goto(f"{portal}/portal/")
    row = page.locator(f'tr[data-verification-id="{verification_id}"]')
    assert row.get_attribute("data-status") == "confirmed"


def withdrawal_is(status: str):
    def probe(page):
        return field_value(page, "withdrawal_status") == status

    return probe


def notification_sent(template: str):
    def probe(page):
        sent = page.locator(f'li[data-template="{template}"]').evaluate_all(
            "items => items.map(i => i.dataset.status)"
        )
        return any(status in ("sent", "delivered") for status in sent)

    return probe


def test_story_2_fraud_victim_through_the_console_and_the_portal(api, console, portal, new_page):
    seeded = held_withdrawal(api, BIRTH)
    investigator = new_page("zh-CN")
    sign_in(investigator, console, "console", "investigator", "i-007")
    verification_id = work_the_case_to_the_police(investigator, console, seeded)

    confirm_in_portal(new_page("zh-CN"), portal, verification_id, "fraud_victim")

    investigator.reload()
    assert field_value(investigator, "status") == "resolved"
    assert field_value(investigator, "outcome") == "fraud_victim"
    assert "PoliceVerificationConfirmed" in timeline(investigator)
    assert "CaseViewedByPolice" in timeline(investigator), "the police's view is not recorded"
    reload_until(investigator, withdrawal_is("blocked"), "the withdrawal is blocked")
    reload_until(investigator, notification_sent("fraud_warning"), "fraud_warning was sent")
    check_accessibility(investigator)
    screenshot(investigator, "console-case-resolved")


def test_story_3_cleared_releases_then_the_teller_pays_out(api, console, portal, new_page):
    seeded = held_withdrawal(api, BIRTH)
    investigator = new_page("en-US")
    sign_in(investigator, console, "console", "investigator", "i-007")
    verification_id = work_the_case_to_the_police(investigator, console, seeded)

    confirm_in_portal(new_page("en-US"), portal, verification_id, "cleared")

    investigator.reload()
    assert field_value(investigator, "status") == "resolved"
    assert field_value(investigator, "outcome") == "cleared"
    reload_until(investigator, withdrawal_is("released"), "the withdrawal is released")
    reload_until(
        investigator, notification_sent("withdrawal_released"), "withdrawal_released was sent"
    )

    withdrawal_id = seeded["withdrawal"]["id"]
    paid = story.ok(
        api["withdrawals"].call(
            "POST", f"/v1/withdrawals/{withdrawal_id}/payout", json={}, **story.TELLER
        )
    )
    assert paid["status"] == "paid_out"
    reload_until(investigator, withdrawal_is("paid_out"), "the console shows paid_out")


def test_story_4_another_unit_gets_the_unknown_id_page(api, portal, new_page):
    seeded = requested_verification(api, "PSB-HF-001")
    verification_id = seeded["verification"]["id"]
    page = new_page()
    sign_in(page, portal, "portal", "police_liaison", "p-PSB-HF-002", police_unit="PSB-HF-002")

    page.goto(f"{portal}/portal/")
    assert page.locator(f'tr[data-verification-id="{verification_id}"]').count() == 0

    theirs = page.goto(f"{portal}/portal/verifications/{verification_id}")
    theirs_text = page.locator("main").inner_text()
    assert theirs.status == 404
    assert verification_id not in page.locator("main").inner_text()
    assert page.locator("form#form-check").count() == 0
    unknown = page.goto(f"{portal}/portal/verifications/ver_00000000000000000000000000")
    assert unknown.status == 404
    assert page.locator("main").inner_text() == theirs_text, "another unit's 404 differs"
    check_accessibility(page)

    # Nor can they confirm it with a hand-made form: the same 404, and nothing moves.
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    form = {
        "csrf_token": token,
        "outcome": "cleared",
        "police_reference": "X-1",
        "officer": "Wang",
        "notes": "-",
    }
    for step in ("check", "confirmation"):
        answer = page.request.post(
            f"{portal}/portal/verifications/{verification_id}/{step}", form=form
        )
        assert answer.status == 404, (step, answer.status)
    assert story.withdrawal(api, seeded["withdrawal"]["id"])["status"] == "held"
    case = story.ok(case_json(api, seeded["case"]["id"]))
    assert case["status"] == "awaiting_police"
    assert "CaseViewedByPolice" not in case_events(api, seeded["case"]["id"])


def test_portal_request_fits_a_phone(api, portal, new_page):
    seeded = requested_verification(api, "PSB-HF-001")
    verification_id = seeded["verification"]["id"]
    page = new_page("zh-CN", PHONE)
    sign_in(page, portal, "portal", "police_liaison", "p-PSB-HF-001", police_unit="PSB-HF-001")
    page.goto(f"{portal}/portal/verifications/{verification_id}")
    assert page.locator("form#form-check").count() == 1
    overflow = horizontal_overflow(page)
    assert not overflow, "the request page scrolls sideways on a phone:\n" + "\n".join(overflow)
    screenshot(page, "portal-request-phone")
    answers = {"outcome": "cleared", "police_reference": "HF-7", "officer": "Li Wei"}
    assert fill_and_submit(page, "form-check", answers).status == 200
    overflow = horizontal_overflow(page)
    assert not overflow, "check your answers scrolls sideways on a phone:\n" + "\n".join(overflow)
    page.goto(f"{portal}/portal/")
    overflow = horizontal_overflow(page)
    assert not overflow, "the list scrolls sideways on a phone:\n" + "\n".join(overflow)
