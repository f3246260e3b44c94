"""The dashboard's figures, on both databases, from cases worked through the real handlers."""

import re
import statistics as stats
from datetime import UTC, datetime, timedelta

import pytest
from cases_support import account_opening_referred, known_account, withdrawal_held

from services.cases import application, handlers
from services.cases.opening import case_id_for
from services.cases.projections import projections
from services.cases.projections import statistics as statistics_rows
from services.cases.statistics import dashboard, quantile
from services.cases.timers import check_slas
from shared import codec
from shared.db import read_transaction, write_transaction
from shared.envelope import Actor, Context, Envelope

NOW = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
ELC, RP, NEW_PAYEE = "ELDERLY_LARGE_CASH", "RISKY_PURPOSE", "LARGE_TRANSFER_NEW_PAYEE"
INVESTIGATOR = Actor("investigator", "i-007")
LIAISON = Actor("police_liaison", "p-001")
UNIT = "PSB-HF-001"
CHARTS = (
    "open_by_queue",
    "sla_compliance",
    "holds_by_reason",
    "police_outcomes",
    "hold_to_confirmation",
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def context(moment: datetime, actor: Actor = INVESTIGATOR) -> Context:
    return Context(actor=actor, occurred_at=moment, correlation_id="corr-stats")


def hold(engine, held_at: datetime, reasons=(RP, ELC)) -> str:
    """A WithdrawalHeld handled the moment it happened, as the consumer would."""
    message = withdrawal_held(occurred_at=held_at)
    message["data"]["reasons"] = list(reasons)
    with write_transaction(engine) as conn:
        handlers.on_withdrawal_held(clock=lambda: held_at)(
            conn, Envelope.parse(codec.dumpb(message))
        )
    return case_id_for(message["event_id"])


def send_to_police(engine, case_id: str, held_at: datetime) -> str:
    application.claim_case(engine, case_id, {}, context(held_at + timedelta(minutes=1)))
    contact = {"channel": "phone", "outcome": "customer_insists", "summary": "insists"}
    application.record_contact(engine, case_id, contact, context(held_at + timedelta(minutes=2)))
    asked = application.request_verification(
        engine,
        case_id,
        {"police_unit": UNIT, "summary": "verify"},
        context(held_at + timedelta(minutes=3)),
    )
    return asked.events[-1].data["verification_id"]


def confirmed_hold(engine, held_at: datetime, minutes: float, outcome: str, reasons=(RP, ELC)):
    case_id = hold(engine, held_at, reasons)
    verification_id = send_to_police(engine, case_id, held_at)
    body = {"outcome": outcome, "police_reference": "R-1", "officer": "Li", "notes": ""}
    answered = context(held_at + timedelta(minutes=minutes), LIAISON)
    application.confirm_verification(engine, UNIT, verification_id, body, answered)
    return case_id


def seed(engine) -> None:
    """Seven open cases and eight settled ones; the expected figures below are by hand."""
    # Open: by queue and age at NOW.
    hold(engine, NOW - timedelta(minutes=30))  # investigators, under 1 h
    claimed = hold(engine, NOW - timedelta(minutes=100))  # investigators, 1–4 h (warned)
    application.claim_case(engine, claimed, {}, context(NOW - timedelta(minutes=99)))
    hold(engine, NOW - timedelta(hours=1))  # exactly an hour: investigators, 1–4 h
    escalated = hold(engine, NOW - timedelta(hours=5))  # supervisors, 4–24 h
    send_to_police(engine, escalated, NOW - timedelta(hours=5))
    application.escalate_case(
        engine, escalated, {"reason": "odd"}, context(NOW - timedelta(hours=4))
    )
    hold(engine, NOW - timedelta(days=3))  # breached: supervisors, over 1 day
    referral = account_opening_referred(occurred_at=NOW - timedelta(hours=10))
    with write_transaction(engine) as conn:
        opener = handlers.on_account_opening_referred(clock=lambda: NOW - timedelta(hours=10))
        opener(conn, Envelope.parse(codec.dumpb(referral)))  # investigators, 4–24 h
    known_account(engine, "acc_9")
    body = {"account_id": "acc_9", "summary": "mule?"}
    application.open_suspicious_account_case(
        engine, body, context(NOW - timedelta(days=2)), rules=_rules()
    )  # investigators, over 1 day
    check_slas(engine, None, NOW)

    # Settled police verifications; times are UTC, Shanghai is 8 hours ahead.
    confirmed_hold(engine, at("2026-03-10T01:00"), 30, "cleared")  # local 03-10 09:00
    confirmed_hold(engine, at("2026-03-10T15:00"), 90, "cleared", [ELC])  # 03-10 23:00 → 03-11
    confirmed_hold(engine, at("2026-03-10T16:00"), 150, "fraud_victim", [RP])  # 03-11 00:00, late
    confirmed_hold(engine, at("2026-03-20T02:00"), 45, "fraud_suspect", [NEW_PAYEE])
    cancelled = hold(engine, at("2026-03-20T03:00"), [ELC, RP])
    application.claim_case(engine, cancelled, {}, context(at("2026-03-20T03:05")))
    body = {"outcome": "customer_cancelled", "reason": "went home"}
    application.resolve_case(engine, cancelled, body, context(at("2026-03-20T03:10")))
    confirmed_hold(engine, at("2026-02-20T01:00"), 60, "cleared")  # before the window
    # 23:59:59 on 03-01 local (outside), answered 00:19:59 on 03-02 local (inside).
    confirmed_hold(engine, datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), 20, "cleared")

    # A due-diligence review resolved 26 hours after its referral: late, on 03-16 local.
    review = account_opening_referred(account_id="acc_dd", occurred_at=at("2026-03-15T01:00"))
    with write_transaction(engine) as conn:
        opener = handlers.on_account_opening_referred(clock=lambda: at("2026-03-15T01:00"))
        opener(conn, Envelope.parse(codec.dumpb(review)))
    review_id = case_id_for(review["event_id"])
    application.claim_case(engine, review_id, {}, context(at("2026-03-15T02:00")))
    body = {"outcome": "approved", "reason": "signed copy seen"}
    application.resolve_case(engine, review_id, body, context(at("2026-03-16T03:00")))


def _rules():
    from services.cases.rules import load_rules

    return load_rules("")


@pytest.fixture
def seeded(engine):
    seed(engine)
    return engine


def nonzero(days: list[dict], key: str) -> dict:
    return {day["day"]: day for day in days if day[key]}


def test_open_cases_are_counted_by_queue_and_age(seeded):
    figures = dashboard(seeded, NOW, "Asia/Shanghai")["open_by_queue"]
    assert figures["buckets"] == ["under_1h", "1h_to_4h", "4h_to_24h", "over_1d"]
    assert figures["queues"] == {
        "investigators": {"under_1h": 1, "1h_to_4h": 2, "4h_to_24h": 1, "over_1d": 1},
        "supervisors": {"under_1h": 0, "1h_to_4h": 0, "4h_to_24h": 1, "over_1d": 1},
    }
    assert figures["total"] == 7


def test_sla_compliance_is_per_local_day_of_resolution(seeded):
    figures = dashboard(seeded, NOW, "Asia/Shanghai")["sla_compliance"]
    assert len(figures["days"]) == 30
    assert figures["days"][0]["day"] == "2026-03-02"
    assert figures["days"][-1]["day"] == "2026-03-31"
    assert nonzero(figures["days"], "resolved") == {
        "2026-03-02": {"day": "2026-03-02", "resolved": 1, "within_sla": 1, "percent": 100.0},
        "2026-03-10": {"day": "2026-03-10", "resolved": 1, "within_sla": 1, "percent": 100.0},
        "2026-03-11": {"day": "2026-03-11", "resolved": 2, "within_sla": 1, "percent": 50.0},
        "2026-03-16": {"day": "2026-03-16", "resolved": 1, "within_sla": 0, "percent": 0.0},
        "2026-03-20": {"day": "2026-03-20", "resolved": 2, "within_sla": 2, "percent": 100.0},
    }
    assert figures["days"][5] == {
        "day": "2026-03-07",
        "resolved": 0,
        "within_sla": 0,
        "percent": None,
    }
    assert (figures["resolved"], figures["within_sla"], figures["percent"]) == (7, 5, 71.4)


def test_holds_are_counted_per_local_day_under_each_of_their_reasons(seeded):
    figures = dashboard(seeded, NOW, "Asia/Shanghai")["holds_by_reason"]
    by_day = {
        day: (row["holds"], row["by_reason"])
        for day, row in nonzero(figures["days"], "holds").items()
    }
    assert by_day == {
        "2026-03-10": (2, {ELC: 2, RP: 1}),
        "2026-03-11": (1, {RP: 1}),
        "2026-03-20": (2, {NEW_PAYEE: 1, ELC: 1, RP: 1}),
        "2026-03-28": (1, {ELC: 1, RP: 1}),
        "2026-03-31": (4, {ELC: 4, RP: 4}),
    }
    assert figures["reasons"] == [ELC, RP, NEW_PAYEE]
    assert figures["holds"] == 10
    assert figures["totals"] == {ELC: 8, RP: 8, NEW_PAYEE: 1}


def test_police_outcomes_in_the_window_and_since_the_beginning(seeded):
    figures = dashboard(seeded, NOW, "Asia/Shanghai")["police_outcomes"]
    assert figures["all_time"] == {"cleared": 4, "fraud_victim": 1, "fraud_suspect": 1}
    assert figures["last_30_days"] == {"cleared": 3, "fraud_victim": 1, "fraud_suspect": 1}


def test_minutes_from_hold_to_confirmation(seeded):
    figures = dashboard(seeded, NOW, "Asia/Shanghai")["hold_to_confirmation"]
    waits = [20, 30, 45, 90, 150]
    assert figures == {
        "confirmed": 5,
        "median_minutes": stats.median(waits),
        "p90_minutes": stats.quantiles(waits, n=10, method="inclusive")[8],
    }
    assert figures["p90_minutes"] == 126.0


def test_local_days_follow_the_timezone_even_half_an_hour_off_utc(seeded):
    utc = dashboard(seeded, NOW, "UTC")
    assert nonzero(utc["holds_by_reason"]["days"], "holds")["2026-03-10"]["holds"] == 3
    # Kolkata is UTC+05:30: the late answer at 18:30 UTC is 00:00 on 03-11 there.
    kolkata = dashboard(seeded, NOW, "Asia/Kolkata")["sla_compliance"]["days"]
    resolved = {
        day: (row["resolved"], row["within_sla"])
        for day, row in nonzero(kolkata, "resolved").items()
    }
    assert resolved["2026-03-10"] == (2, 2)
    assert resolved["2026-03-11"] == (1, 0)


def test_an_empty_database_gives_zeros_not_errors(engine):
    figures = dashboard(engine, NOW, "Asia/Shanghai")
    assert figures["open_by_queue"]["total"] == 0
    assert figures["sla_compliance"]["percent"] is None
    assert figures["holds_by_reason"]["reasons"] == []
    assert figures["police_outcomes"]["all_time"] == {
        "cleared": 0,
        "fraud_victim": 0,
        "fraud_suspect": 0,
    }
    assert figures["hold_to_confirmation"] == {
        "confirmed": 0,
        "median_minutes": None,
        "p90_minutes": None,
    }


def test_a_rebuild_reproduces_the_holds_and_the_dashboard(seeded):
    before, figures = projections.snapshot(seeded), dashboard(seeded, NOW, "Asia/Shanghai")
    assert len(before["case_statistics"]) == 15
    with write_transaction(seeded) as conn:
        projections.metadata.drop_all(conn)
    projections.rebuild(seeded)
    assert projections.snapshot(seeded) == before
    assert dashboard(seeded, NOW, "Asia/Shanghai") == figures


def test_a_reopened_hold_keeps_its_first_police_answer_and_a_rebuild_agrees(engine):
    held_at = at("2026-03-10T01:00")
    case_id = confirmed_hold(engine, held_at, 30, "fraud_victim")
    reopening = context(held_at + timedelta(hours=2), Actor("supervisor", "s-001"))
    application.reopen_case(engine, case_id, {"reason": "New facts."}, reopening)
    asked = application.request_verification(
        engine,
        case_id,
        {"police_unit": UNIT, "summary": "again"},
        context(held_at + timedelta(hours=3)),
    )
    body = {"outcome": "cleared", "police_reference": "R-2", "officer": "Li", "notes": ""}
    again = context(held_at + timedelta(hours=4), LIAISON)
    application.confirm_verification(
        engine, UNIT, asked.events[-1].data["verification_id"], body, again
    )

    with read_transaction(engine) as conn:
        row = conn.execute(statistics_rows.select()).mappings().one()
    assert (row["status"], row["resolved_at"]) == ("resolved", "2026-03-10T05:00:00.000000Z")
    assert (row["police_outcome"], row["confirmed_at"]) == (
        "fraud_victim",
        "2026-03-10T01:30:00.000000Z",
    )
    assert row["seconds_to_confirmation"] == 1800.0
    before = projections.snapshot(engine)
    projections.rebuild(engine)
    assert projections.snapshot(engine) == before


def test_quantiles_interpolate_between_ranks():
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.9) == 7.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5


def sign_in(client, role: str) -> None:
    """Through the development sign-in form, as a person would."""
    form = client.get("/console/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/console/sign-in", data={"role": role, "sub": f"{role[0]}-1", "csrf_token": token}
    )
    assert answer.status_code == 303


def figure(page: str, name: str) -> str:
    return re.search(rf'<figure data-chart="{name}">(.*?)</figure>', page, re.S).group(1)


@pytest.mark.parametrize("role", ["supervisor", "auditor", "investigator"])
def test_the_dashboard_page_draws_every_figure_with_its_table(seeded, client, clock, role):
    clock.now = NOW
    sign_in(client, role)
    answer = client.get("/console/dashboard?lang=en")
    assert answer.status_code == 200
    page = answer.text
    for name in CHARTS:
        drawn = figure(page, name)
        assert "<figcaption>" in drawn and '<svg xmlns="http://www.w3.org/2000/svg"' in drawn
        assert re.search(r'<svg [^>]*role="img"[^>]*><title id="[^"]+">[^<]+</title>', drawn)
        assert '<div class="visually-hidden"><table>' in drawn  # the same numbers, for readers
    assert "7 cases are open" in figure(page, "open_by_queue")
    rows = re.findall(r"<tr><th scope=\"row\">(\S+)</th><td>(\d+)</td><td>(\d+)</td>", page)
    assert ("2026-03-11", "2", "1") in rows  # SLA: resolved, within
    outcomes = figure(page, "police_outcomes")
    assert re.search(r"Cleared by the police</th>\s*<td>3</td><td>4</td>", outcomes)
    assert ">45 min</text>" in figure(page, "hold_to_confirmation")


def test_an_empty_dashboard_says_there_is_no_data(client, clock):
    clock.now = NOW
    sign_in(client, "supervisor")
    page = client.get("/console/dashboard?lang=en").text
    for name in CHARTS:
        assert 'class="no-data"' in figure(page, name)


def test_the_dashboard_asks_who_you_are_first(client):
    answer = client.get("/console/dashboard")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/sign-in?next=")
