"""The console's case page: the decision explained, the masked customer, the timeline, what
other services say, and every action with its refusals shown on the page."""

import json
import re
import threading
import time

import pytest
from cases_support import (
    SECRET,
    account_opening_referred,
    case_events,
    deliver,
    make_app,
    withdrawal_held,
)
from page_support import csrf_of, page_sign_in
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from services.cases.opening import case_id_for
from shared.ports import free_port
from shared.tokens import decode_token

VERDICTS = [
    {
        "rule": "ELDERLY_LARGE_CASH",
        "outcome": "hold",
        "applied": True,
        "detail": {
            "segment": "elderly",
            "age": 68,
            "channel": "counter_cash",
            "amount": "80000.00",
            "threshold": "50000.00",
        },
    },
    {
        "rule": "RISKY_PURPOSE",
        "outcome": "hold",
        "applied": True,
        "detail": {"purpose": "investment", "amount": "80000.00", "threshold": "10000.00"},
    },
    {
        "rule": "HIGH_RISK_TIER",
        "outcome": "hold",
        "applied": False,
        "detail": {"tier": "LOW", "amount": "80000.00", "threshold": "10000.00"},
    },
    {"rule": "SHINY_NEW_RULE", "outcome": "hold", "applied": False, "detail": {"k": "v"}},
]


class CannedPeer:
    """A real HTTP server on loopback answering as notify and withdrawals would; notes callers."""

    def __init__(self):
        self.seen = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @Request.application
    def app(self, request: Request) -> Response:
        self.seen.append((request.path, dict(request.args), request.headers.get("Authorization")))
        if request.path == "/v1/notifications":
            body = {
                "items": [
                    {
                        "id": "ntf_1",
                        "template": "withdrawal_held",
                        "channel": "sms",
                        "status": "sent",
                        "body": "您的取款已暂缓，请耐心等待核实。",
                        "created_at": "2026-03-02T01:00:05Z",
                        "updated_at": "2026-03-02T01:00:06Z",
                    }
                ],
                "next_cursor": None,
            }
        elif request.path == "/v1/withdrawals/wd_01":
            body = {"id": "wd_01", "status": "held", "amount": "80000.00"}
        else:
            return Response("{}", 404, content_type="application/problem+json")
        return Response(json.dumps(body), content_type="application/json")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def peer():
    server = CannedPeer()
    yield server
    server.close()


@pytest.fixture
def console_app(database_url, clock, peer):
    app = make_app(database_url, clock=clock, notify_url=peer.url, withdrawals_url=peer.url)
    yield app
    app.extensions["warden"].engine.dispose()


@pytest.fixture
def engine(console_app):
    return console_app.extensions["warden"].engine


def signed_in(app, role: str, sub: str):
    client = app.test_client()
    page_sign_in(client, "/console", role, sub, language="en")
    return client


def post(client, case_id: str, action: str, **fields):
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    return client.post(f"/console/cases/{case_id}/{action}", data={"csrf_token": token, **fields})


def text(answer) -> str:
    return answer.get_data(as_text=True)


@pytest.fixture
def held(engine) -> str:
    message = withdrawal_held()
    message["data"]["decision"]["verdicts"] = VERDICTS
    deliver(engine, "withdrawals", message)
    return case_id_for(message["event_id"])


@pytest.fixture
def review(engine) -> str:
    message = account_opening_referred(opened_by="t-042")
    deliver(engine, "accounts", message)
    return case_id_for(message["event_id"])


def test_the_case_page_explains_the_decision_in_plain_words(console_app, held):
    page = text(signed_in(console_app, "auditor", "a-001").get(f"/console/cases/{held}"))
    assert 'data-field="case_type" data-value="police_verification"' in page
    assert 'data-field="status" data-value="open"' in page
    assert 'data-field="sla_state" data-value="ok"' in page
    assert "1 h 55 min left" in page  # held 01:00, due 03:00, now 01:05
    assert "rules version withdrawals-2026.1" in page
    elderly = page[page.index('data-rule="ELDERLY_LARGE_CASH"') :].split("</tr>")[0]
    assert "Large cash for an elderly customer" in elderly and "Applied: Hold" in elderly
    assert "Amount 80,000.00 ≥ threshold 50,000.00; customer age 68, segment Elderly" in elderly
    risky = page[page.index('data-rule="RISKY_PURPOSE"') :].split("</tr>")[0]
    assert "Purpose Investment; amount 80,000.00 ≥ threshold 10,000.00." in risky
    tier = page[page.index('data-rule="HIGH_RISK_TIER"') :].split("</tr>")[0]
    assert "Did not apply" in tier and "Risk tier LOW" in tier
    unknown = page[page.index('data-rule="SHINY_NEW_RULE"') :].split("</tr>")[0]
    assert "Rule SHINY_NEW_RULE" in unknown and "k: v" in unknown


def test_the_customer_is_shown_masked_as_recorded_and_never_more(console_app, held):
    page = text(signed_in(console_app, "investigator", "i-007").get(f"/console/cases/{held}"))
    customer = page[page.index('id="customer-facts"') :].split("</dl>")[0]
    assert "王*" in customer and "3401**********1234" in customer and "68" in customer
    assert "Elderly" in customer and "Chinese" in customer
    assert "cus_01" not in page


def test_the_page_shows_the_timeline_and_what_other_services_say(console_app, held, peer):
    client = signed_in(console_app, "investigator", "i-007")
    post(client, held, "claim")
    page = text(client.get(f"/console/cases/{held}"))
    events = re.findall(r'<li data-event-type="([^"]+)"', page)
    assert events == ["CaseOpened", "CaseFactsRecorded", "CaseAssigned"]
    assert 'data-field="withdrawal_status" data-value="held"' in page
    assert '<li data-template="withdrawal_held" data-status="sent">' in page
    assert "您的取款已暂缓" in page
    paths = {path: (args, auth) for path, args, auth in peer.seen}
    args, auth = paths["/v1/notifications"]
    assert args == {"customer_id": "cus_01", "limit": "50"}
    claims = decode_token(SECRET, auth.removeprefix("Bearer "))
    assert (claims["sub"], claims["role"]) == ("i-007", "investigator")
    assert claims["exp"] <= time.time() + 121  # short-lived: two minutes
    assert "/v1/withdrawals/wd_01" in paths


def test_the_page_still_renders_when_notify_and_withdrawals_are_down(database_url, clock):
    nowhere = f"http://127.0.0.1:{free_port()}"
    app = make_app(database_url, clock=clock, notify_url=nowhere, withdrawals_url=nowhere)
    engine = app.extensions["warden"].engine
    message = withdrawal_held()
    deliver(engine, "withdrawals", message)
    try:
        answer = signed_in(app, "investigator", "i-007").get(
            f"/console/cases/{case_id_for(message['event_id'])}"
        )
        page = text(answer)
        assert answer.status_code == 200
        assert 'data-unavailable="notify"' in page and 'data-unavailable="withdrawals"' in page
        assert "Not available right now" in page
        assert 'data-field="withdrawal_status" data-value=""' in page
    finally:
        engine.dispose()


def flash_after(client, answer) -> str:
    assert answer.status_code == 303, text(answer)[:2000]
    page = text(client.get(answer.headers["Location"]))
    return page[page.index('class="flash"') :].split("</div>")[0]


def test_story_2_actions_succeed_with_a_flash_and_an_event(console_app, engine, held):
    client = signed_in(console_app, "investigator", "i-007")
    steps = [
        ("claim", {}, "You have claimed the case.", "CaseAssigned"),
        (
            "contacts",
            {"channel": "phone", "outcome": "customer_insists", "summary": "Insists."},
            "The contact has been recorded.",
            "CustomerContactRecorded",
        ),
        ("notes", {"text": "Son on the phone."}, "Your note has been added.", "CaseNoteAdded"),
        (
            "verification-requests",
            {"police_unit": "PSB-HF-001", "summary": "Elderly, investment scam?"},
            "The police unit has been asked to verify.",
            "PoliceVerificationRequested",
        ),
        (
            "restriction-requests",
            {
                "type": "non_counter_suspended",
                "reason": "Protect",
                "expires_at": "2026-03-09T17:30",
            },
            "The restriction has been requested.",
            "AccountRestrictionRequested",
        ),
        ("escalations", {"reason": "Urgent"}, "escalated to the supervisors", "CaseEscalated"),
        (
            "resolution",
            {"outcome": "customer_cancelled", "reason": "Cancelled at the counter."},
            "The case has been resolved.",
            "CaseResolved",
        ),
        ("closure", {"reason": "Done"}, "The case has been closed.", "CaseClosed"),
    ]
    for action, fields, flashed, event_type in steps:
        assert flashed in flash_after(client, post(client, held, action, **fields)), action
        assert case_events(engine, held)[-1].type == event_type
    restriction = next(
        e for e in case_events(engine, held) if e.type == "AccountRestrictionRequested"
    )
    assert restriction.data["expires_at"].startswith("2026-03-09T09:30:00")  # Shanghai is +8
    actor = case_events(engine, held)[-1].metadata["actor"]
    assert actor == {"role": "investigator", "sub": "i-007"}


def test_a_supervisor_assigns_and_reopens(console_app, engine, held):
    client = signed_in(console_app, "supervisor", "s-001")
    page = text(client.get(f"/console/cases/{held}"))
    assert 'id="form-assignment"' in page and 'id="form-reopening"' not in page
    assert "assigned" in flash_after(client, post(client, held, "assignment", investigator="i-9"))
    assert case_events(engine, held)[-1].data["assignee"] == "i-9"
    post(client, held, "resolution", outcome="customer_cancelled", reason="gone")
    assert "reopened" in flash_after(client, post(client, held, "reopening", reason="new facts"))
    assert case_events(engine, held)[-1].type == "CaseReopened"


def test_four_eyes_refusal_is_a_403_page_with_the_typed_values_kept(console_app, engine, review):
    client = signed_in(console_app, "investigator", "t-042")
    post(client, review, "claim")
    answer = post(client, review, "resolution", outcome="approved", reason="Looks fine to me")
    page = text(answer)
    assert answer.status_code == 403
    assert 'id="error-summary"' in page and 'role="alert"' in page
    assert "Four eyes" in page
    form = page[page.index('id="form-resolution"') :].split("</form>")[0]
    assert 'value="approved" checked' in form and "Looks fine to me" in form
    assert "You may not resolve this case." in form
    assert case_events(engine, review)[-1].type == "CaseAssigned"


def test_claiming_someone_elses_case_is_a_409_on_the_page(console_app, held):
    first = signed_in(console_app, "investigator", "i-1")
    post(first, held, "claim")
    answer = post(signed_in(console_app, "investigator", "i-2"), held, "claim")
    assert answer.status_code == 409
    page = text(answer)
    assert 'id="error-summary"' in page
    assert "i-1 works this case; a supervisor may reassign it." in page
    assert 'data-field="assignee" data-value="i-1"' in page


def test_a_missing_reason_is_a_422_beside_the_field_with_the_rest_kept(console_app, held):
    client = signed_in(console_app, "investigator", "i-007")
    post(client, held, "claim")
    answer = post(client, held, "resolution", outcome="customer_cancelled", reason="  ")
    assert answer.status_code == 422
    page = text(answer)
    summary = page[page.index('id="error-summary"') :].split("</div>")[0]
    assert 'href="#field-resolution-reason"' in summary and "Enter a reason." in summary
    form = page[page.index('id="form-resolution"') :].split("</form>")[0]
    assert 'id="field-resolution-reason-error"' in form
    assert 'value="customer_cancelled" checked' in form


def test_a_past_expiry_and_a_wrong_outcome_are_422s(console_app, held):
    client = signed_in(console_app, "investigator", "i-007")
    post(client, held, "claim")
    past = post(
        client,
        held,
        "restriction-requests",
        type="freeze",
        reason="r",
        expires_at="2026-03-02T08:00",
    )
    assert past.status_code == 422 and "The expiry must be in the future." in text(past)
    assert 'value="2026-03-02T08:00"' in text(past)
    nonsense = post(
        client, held, "restriction-requests", type="freeze", reason="r", expires_at="soon"
    )
    assert nonsense.status_code == 422 and "Enter a real date and time" in text(nonsense)
    wrong = post(client, held, "resolution", outcome="approved", reason="r")
    assert wrong.status_code == 422
    assert "Choose an outcome this type of case can be resolved with." in text(wrong)


def test_auditors_read_without_any_form_and_their_posts_are_403(console_app, engine, held):
    client = signed_in(console_app, "auditor", "a-001")
    page = text(client.get(f"/console/cases/{held}"))
    assert 'id="form-' not in page and 'data-read-only="true"' in page
    answer = post(client, held, "claim")
    assert answer.status_code == 403 and answer.content_type.startswith("text/html")
    assert [e.type for e in case_events(engine, held)] == ["CaseOpened", "CaseFactsRecorded"]


def test_an_investigator_may_not_assign(console_app, held):
    client = signed_in(console_app, "investigator", "i-007")
    assert 'id="form-assignment"' not in text(client.get(f"/console/cases/{held}"))
    assert post(client, held, "assignment", investigator="i-9").status_code == 403


def test_an_unknown_case_or_action_is_a_404_page(console_app, held):
    client = signed_in(console_app, "investigator", "i-007")
    for answer in (
        client.get("/console/cases/case_nope"),
        post(client, "case_nope", "claim"),
        post(client, held, "teleport"),
    ):
        assert answer.status_code == 404
        assert answer.content_type.startswith("text/html")


def test_the_offered_forms_follow_the_case_status(console_app, held):
    client = signed_in(console_app, "investigator", "i-007")
    opened = text(client.get(f"/console/cases/{held}"))
    assert 'id="form-claim"' in opened and 'id="form-contacts"' not in opened
    post(client, held, "claim")
    claimed = text(client.get(f"/console/cases/{held}"))
    assert 'id="form-claim"' not in claimed
    for form in ("contacts", "verification-requests", "resolution", "notes", "escalations"):
        assert f'id="form-{form}"' in claimed
    assert 'value="customer_cancelled"' in claimed and 'value="approved"' not in claimed
