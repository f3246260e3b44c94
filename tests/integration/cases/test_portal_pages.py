"""The police portal as its own app: a unit's requests, masked, recorded, confirmed once."""

import pytest
from cases_support import (
    INVESTIGATOR,
    LIAISON_1,
    SECRET,
    case_events,
    deliver,
    settings,
    withdrawal_held,
)
from page_support import csrf_of, main_of, page_sign_in

from services.cases.portal import portal_spec
from shared.web.app import create_service_app


@pytest.fixture
def portal(cases_app, engine, database_url):
    app = create_service_app(portal_spec(settings(database_url)), settings(database_url), engine)
    app.extensions["warden"].clock = cases_app.extensions["warden"].clock
    return app


@pytest.fixture
def requested(client, engine):
    """Story 2 up to the request: a hold, claimed, contact recorded, sent to PSB-HF-001."""
    message = withdrawal_held()
    deliver(engine, "withdrawals", message)
    case_id = f"case_{message['event_id']}"
    assert (
        client.post(f"/v1/cases/{case_id}/claim", json={}, headers=INVESTIGATOR).status_code == 200
    )
    body = {"police_unit": "PSB-HF-001", "summary": "Customer insists; caller posed as police."}
    answer = client.post(
        f"/v1/cases/{case_id}/verification-requests", json=body, headers=INVESTIGATOR
    )
    assert answer.status_code == 201, answer.get_json()
    return {"case_id": case_id, "verification_id": answer.get_json()["id"]}


def _types(engine, case_id):
    return [event.type for event in case_events(engine, case_id)]


def test_the_unit_sees_its_request_masked_and_each_view_is_recorded(portal, engine, requested):
    browser = portal.test_client()
    page_sign_in(browser, "/portal", "police_liaison", "p-001", police_unit="PSB-HF-001")
    viewed = _types(engine, requested["case_id"]).count("CaseViewedByPolice")
    assert viewed == 1  # the list shown after signing in
    listing = browser.get("/portal/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'data-verification-id="{requested["verification_id"]}"' in listing
    assert 'data-status="pending"' in listing
    page = browser.get(f"/portal/verifications/{requested['verification_id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "3401**********1234" in html and "王*" in html and "80000.00" in html
    assert "cus_01" not in html and "acc_01" not in html  # never the ids behind the mask
    assert _types(engine, requested["case_id"]).count("CaseViewedByPolice") == viewed + 2


def test_confirming_goes_through_a_check_and_resolves_the_case_once(portal, engine, requested):
    browser = portal.test_client()
    token = page_sign_in(browser, "/portal", "police_liaison", "p-001", police_unit="PSB-HF-001")
    base = f"/portal/verifications/{requested['verification_id']}"
    answers = {"outcome": "fraud_victim", "police_reference": "HF-2026-0192",
               "officer": "Officer Zhang 0451", "notes": "Caller was a known scam ring.",
               "csrf_token": token}  # fmt: skip

    missing = browser.post(f"{base}/check", data={**answers, "police_reference": ""})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'id="error-summary"' in html
    assert 'value="Officer Zhang 0451"' in html  # what was typed is kept

    checked = browser.post(f"{base}/check", data=answers)
    assert checked.status_code == 200 and 'id="form-confirm"' in checked.get_data(as_text=True)
    assert "PoliceVerificationConfirmed" not in _types(engine, requested["case_id"])

    sent = browser.post(f"{base}/confirmation", data=answers)
    assert sent.status_code == 303
    types = _types(engine, requested["case_id"])
    assert types.count("PoliceVerificationConfirmed") == 1 and types[-1] == "CaseResolved"

    again = browser.post(f"{base}/confirmation", data=answers)
    assert again.status_code == 409 and 'id="error-summary"' in again.get_data(as_text=True)
    assert _types(engine, requested["case_id"]).count("PoliceVerificationConfirmed") == 1


def test_another_units_request_is_the_same_404_as_none(portal, engine, requested):
    browser = portal.test_client()
    page_sign_in(browser, "/portal", "police_liaison", "p-002", police_unit="PSB-HF-002")
    other = browser.get(f"/portal/verifications/{requested['verification_id']}")
    unknown = browser.get("/portal/verifications/ver_nobody")
    assert other.status_code == unknown.status_code == 404
    assert main_of(other.get_data(as_text=True)) == main_of(unknown.get_data(as_text=True))
    assert requested["verification_id"] not in browser.get("/portal/").get_data(as_text=True)
    token = csrf_of(browser.get("/portal/").get_data(as_text=True))
    answers = {"outcome": "cleared", "police_reference": "X", "officer": "Y", "csrf_token": token}
    refused = browser.post(f"/portal/verifications/{requested['verification_id']}/confirmation",
                           data=answers)  # fmt: skip
    assert refused.status_code == 404
    assert "CaseViewedByPolice" not in _types(engine, requested["case_id"])
    assert "PoliceVerificationConfirmed" not in _types(engine, requested["case_id"])


def test_a_form_without_its_token_changes_nothing(portal, engine, requested):
    browser = portal.test_client()
    page_sign_in(browser, "/portal", "police_liaison", "p-001", police_unit="PSB-HF-001")
    before = _types(engine, requested["case_id"])
    answers = {
        "outcome": "cleared",
        "police_reference": "X",
        "officer": "Y",
        "csrf_token": "forged",
    }
    refused = browser.post(f"/portal/verifications/{requested['verification_id']}/confirmation",
                           data=answers)  # fmt: skip
    assert refused.status_code == 400
    assert _types(engine, requested["case_id"]) == before


def test_only_police_liaison_use_the_portal_and_it_serves_no_investigator_routes(portal):
    browser = portal.test_client()
    assert browser.get("/portal/").status_code == 303  # to the sign-in page
    token = csrf_of(browser.get("/portal/sign-in").get_data(as_text=True))
    refused = browser.post("/portal/sign-in", data={"role": "investigator", "sub": "i-1",
                                                      "csrf_token": token})  # fmt: skip
    assert refused.status_code == 403  # the portal serves police liaison only
    assert browser.get("/portal/").status_code == 303  # and signed nobody in
    assert browser.get("/console/").status_code == 404
    assert browser.get("/v1/cases", headers=LIAISON_1).status_code == 404
    assert browser.get("/openapi.json").status_code == 404
    assert browser.get("/healthz").status_code == 200


def test_production_mode_refuses_the_development_sign_in(cases_app, engine, database_url):
    strict = settings(database_url, mode="production", jwt_secret=SECRET)
    app = create_service_app(portal_spec(strict), strict, engine)
    browser = app.test_client()
    html = browser.get("/portal/sign-in").get_data(as_text=True)
    assert 'name="role"' not in html
    token = csrf_of(html) if 'name="csrf_token"' in html else "x"
    form = {"role": "police_liaison", "sub": "p", "police_unit": "U", "csrf_token": token}
    assert browser.post("/portal/sign-in", data=form).status_code in (400, 404)
    assert browser.get("/portal/").status_code == 303
