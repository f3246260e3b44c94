"""Each screening rule at its boundary, with injected time in Asia/Shanghai (DOMAIN §6)."""

import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.withdrawals.rules import PACKAGED_RULES, RulesError, load_rules, parse_rules
from services.withdrawals.screening import lookback_start, screen
from services.withdrawals.snapshots import (
    AccountSnapshot,
    AppointmentSnapshot,
    CustomerSnapshot,
    PastWithdrawal,
    WithdrawalRequest,
)
from shared.money import to_fen

RULES = load_rules()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on 2026-11-20 in Shanghai
TODAY = date(2026, 11, 20)
LOW = {"risk_tier": "LOW", "per_transaction_limit": to_fen("50000.00")}
LOW["daily_limit"] = to_fen("200000.00")
MEDIUM = {"risk_tier": "MEDIUM", "per_transaction_limit": to_fen("20000.00")}
MEDIUM["daily_limit"] = to_fen("50000.00")


def account(**changes) -> AccountSnapshot:
    base = AccountSnapshot(
        account_id="acc_1",
        customer_id="cus_1",
        branch_id="HF-01",
        status="active",
        opened_at=NOW - timedelta(days=400),
        **LOW,
    )
    return replace(base, **changes)


def customer(**changes) -> CustomerSnapshot:
    return replace(CustomerSnapshot("cus_1", date(1980, 5, 5), "engineer"), **changes)


def ask(amount: str, channel: str = "counter_cash", purpose: str = "living_expenses", **kw):
    return WithdrawalRequest("acc_1", to_fen(amount), channel, purpose, **kw)


def appointment(amount: str = "100000.00", **changes) -> AppointmentSnapshot:
    base = AppointmentSnapshot("apt_1", "acc_1", to_fen(amount), TODAY, "living_expenses", "booked")
    return replace(base, **changes)


def earlier(amount: str, at: datetime, channel="mobile_transfer", status="approved", n=0):
    day = (at + timedelta(hours=8)).date()  # Shanghai is UTC+8 all year
    return PastWithdrawal(f"wd_{n}", to_fen(amount), channel, status, at, day)


def decide(request, acct=None, cust=None, recent=(), apt=None, now=NOW):
    return screen(request, acct or account(), cust or customer(), list(recent), apt, RULES, now)


def applied(decision) -> set[str]:
    return {v.rule for v in decision.verdicts if v.applied}


def test_the_packaged_rules_carry_every_number_of_domain_section_6():
    assert RULES.version == "2026-11-01"
    assert RULES.registration_threshold == to_fen("50000.00")
    assert RULES.risky_purposes == {
        "investment",
        "safe_account_transfer",
        "loan_or_fee_payment",
        "unknown_third_party",
    }
    assert RULES.risky_purpose_threshold == to_fen("10000.00")
    assert (RULES.elderly_age, RULES.elderly_threshold) == (60, to_fen("50000.00"))
    assert (RULES.new_account_days, RULES.new_account_threshold) == (30, to_fen("50000.00"))
    assert RULES.high_risk_tiers == {"HIGH"} and RULES.high_risk_threshold == to_fen("10000.00")
    assert (RULES.velocity_window_hours, RULES.velocity_count) == (24, 3)
    assert RULES.velocity_total == to_fen("50000.00")
    assert RULES.non_counter_channels == {"atm", "online_transfer", "mobile_transfer"}
    assert RULES.freezing_restrictions == {"freeze", "stop_payment"}


def test_a_rules_file_of_its_own_is_read_and_a_missing_setting_is_named(tmp_path):
    text = PACKAGED_RULES.read_text()
    custom = tmp_path / "rules.toml"
    custom.write_text(
        text.replace('version = "2026-11-01"', 'version = "2027-01-01"').replace(
            'registration_threshold = "50000.00"', 'registration_threshold = "30000.00"'
        )
    )
    rules = load_rules(str(custom))
    assert (rules.version, rules.registration_threshold) == ("2027-01-01", to_fen("30000.00"))
    with pytest.raises(RulesError, match="holds.velocity.count"):
        parse_rules({**_raw(), "holds": {**_raw()["holds"], "velocity": {"window_hours": 24}}})
    with pytest.raises(RulesError, match="appointments.registration_threshold"):
        parse_rules({**_raw(), "appointments": {"registration_threshold": 50000, "channels": []}})


def _raw() -> dict:
    return tomllib.loads(PACKAGED_RULES.read_text())


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("9999.99", "approved"), ("10000.00", "held")],
)
def test_risky_purpose_holds_from_10000(amount, expected):
    decision = decide(ask(amount, purpose="investment"))
    assert decision.status == expected
    assert ("RISKY_PURPOSE" in decision.reasons) == (expected == "held")


@pytest.mark.parametrize(
    ("amount", "channel", "expected"),
    [
        ("49999.99", "counter_cash", set()),
        ("50000.00", "counter_cash", {"APPOINTMENT_REQUIRED"}),
        ("50000.00", "atm", set()),  # not counter cash: limits decide, not the appointment
    ],
)
def test_counter_cash_from_50000_needs_an_appointment(amount, channel, expected):
    decision = decide(ask(amount, channel), acct=account(per_transaction_limit=to_fen("90000.00")))
    assert set(decision.reasons) == expected
    assert decision.status == ("rejected" if expected else "approved")


@pytest.mark.parametrize(
    ("problem", "apt"),
    [
        ("other_date", appointment(date=TODAY + timedelta(days=1))),
        ("other_date", appointment(date=TODAY - timedelta(days=1))),
        ("other_account", appointment(account_id="acc_2")),
        ("amount_above_appointment", appointment("59999.99")),
        ("used", appointment(status="used")),
        ("cancelled", appointment(status="cancelled")),
    ],
)
def test_an_appointment_that_does_not_cover_the_request_is_no_appointment(problem, apt):
    decision = decide(ask("60000.00", appointment_id="apt_1"), apt=apt)
    assert decision.reasons == ("APPOINTMENT_REQUIRED",)
    assert problem in decision.inputs["appointment"]["problems"]
    assert decision.appointment_valid is False


def test_an_appointment_covers_amounts_up_to_its_own():
    decision = decide(ask("60000.00", appointment_id="apt_1"), apt=appointment("60000.00"))
    assert decision.status == "approved" and decision.appointment_valid


@pytest.mark.parametrize(
    ("birth_date", "amount", "held"),
    [
        (date(1966, 11, 21), "50000.00", False),  # 59 on the business date
        (date(1966, 11, 20), "50000.00", True),  # 60 today
        (date(1958, 1, 1), "49999.99", False),
        (date(1958, 1, 1), "50000.00", True),
    ],
)
def test_elderly_large_cash_holds_from_age_60_and_50000(birth_date, amount, held):
    decision = decide(
        ask(amount, appointment_id="apt_1"), cust=customer(birth_date=birth_date), apt=appointment()
    )
    assert ("ELDERLY_LARGE_CASH" in decision.reasons) is held
    assert decision.status == ("held" if held else "approved")


def test_age_counts_on_the_business_date_not_the_utc_date():
    # 2026-11-19T17:00Z is already 2026-11-20 in Shanghai: the customer has turned 60.
    late = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    decision = decide(
        ask("50000.00", appointment_id="apt_1"),
        cust=customer(birth_date=date(1966, 11, 20)),
        apt=appointment(),
        now=late,
    )
    assert decision.inputs["age"] == 60 and decision.segment == "elderly"


@pytest.mark.parametrize(
    ("days", "amount", "held"),
    [(29, "50000.00", True), (30, "50000.00", False), (29, "49999.99", False)],
)
def test_new_account_large_holds_under_30_days_from_50000(days, amount, held):
    acct = account(opened_at=NOW - timedelta(days=days))
    decision = decide(ask(amount, appointment_id="apt_1"), acct=acct, apt=appointment())
    assert decision.inputs["account_age_days"] == days
    assert ("NEW_ACCOUNT_LARGE" in decision.reasons) is held


@pytest.mark.parametrize(("amount", "held"), [("9999.99", False), ("10000.00", True)])
def test_high_risk_tier_holds_from_10000(amount, held):
    decision = decide(ask(amount), acct=account(risk_tier="HIGH"))
    assert ("HIGH_RISK_TIER" in decision.reasons) is held


def test_purpose_mismatch_with_the_appointment_holds():
    apt = appointment(purpose="medical")
    decision = decide(ask("60000.00", purpose="education", appointment_id="apt_1"), apt=apt)
    assert decision.reasons == ("PURPOSE_MISMATCH",)
    assert decision.status == "held"


def test_an_open_case_on_the_account_holds():
    decision = decide(ask("100.00"), acct=account(open_case_ids=("case_1",)))
    assert decision.reasons == ("OPEN_CASE",)


@pytest.mark.parametrize(
    ("earlier_amounts", "amount", "held"),
    [
        (["30000.00"], "20000.00", False),  # 2 requests
        (["30000.00", "10000.00"], "10000.00", True),  # 3 requests, 50,000.00
        (["30000.00", "10000.00"], "9999.99", False),  # 3 requests, 49,999.99
    ],
)
def test_velocity_holds_at_3_requests_in_24_hours_totalling_50000(earlier_amounts, amount, held):
    recent = [
        earlier(a, NOW - timedelta(hours=1 + i), channel="counter_cash", n=i)
        for i, a in enumerate(earlier_amounts)
    ]
    decision = decide(ask(amount), recent=recent)
    assert ("VELOCITY" in decision.reasons) is held
    assert decision.inputs["velocity"]["count"] == len(earlier_amounts) + 1


def test_velocity_ignores_rejected_cancelled_and_older_requests_but_counts_held_ones():
    recent = [
        earlier("30000.00", NOW - timedelta(hours=2), status="rejected", n=1),
        earlier("30000.00", NOW - timedelta(hours=2), status="cancelled", n=2),
        earlier("30000.00", NOW - timedelta(hours=24), status="approved", n=3),
        earlier("30000.00", NOW - timedelta(hours=3), status="held", n=4),
    ]
    decision = decide(ask("20000.00"), recent=recent)
    assert decision.inputs["velocity"]["withdrawal_ids"] == ["wd_4"]
    assert "VELOCITY" not in decision.reasons
    recent.append(earlier("1000.00", NOW - timedelta(hours=23, minutes=59), n=5))
    assert "VELOCITY" in decide(ask("20000.00"), recent=recent).reasons


@pytest.mark.parametrize(("amount", "rejected"), [("20000.00", False), ("20000.01", True)])
def test_per_transaction_limit_follows_the_tier_for_non_counter_channels(amount, rejected):
    decision = decide(ask(amount, "online_transfer"), acct=account(**MEDIUM))
    assert ("LIMIT_PER_TRANSACTION" in decision.reasons) is rejected
    assert decide(ask(amount), acct=account(**MEDIUM)).status == "approved"  # counter cash


@pytest.mark.parametrize(
    ("earlier_today", "amount", "rejected"),
    [
        ([], "20000.00", False),
        (["40000.00"], "10000.00", False),  # exactly 50,000.00
        (["40000.00"], "10000.01", True),
    ],
)
def test_daily_limit_counts_todays_non_counter_amounts(earlier_today, amount, rejected):
    recent = [earlier(a, NOW - timedelta(minutes=30 + i), n=i) for i, a in enumerate(earlier_today)]
    decision = decide(ask(amount, "mobile_transfer"), acct=account(**MEDIUM), recent=recent)
    assert ("LIMIT_DAILY" in decision.reasons) is rejected
    assert decision.status == ("rejected" if rejected else "approved")


def test_daily_total_ignores_counter_cash_and_unfinished_or_refused_requests():
    recent = [
        earlier("20000.00", NOW - timedelta(minutes=5), channel="counter_cash", n=1),
        earlier("20000.00", NOW - timedelta(minutes=6), status="held", n=2),
        earlier("20000.00", NOW - timedelta(minutes=7), status="rejected", n=3),
        earlier("20000.00", NOW - timedelta(minutes=8), status="cancelled", n=4),
        earlier("15000.00", NOW - timedelta(minutes=9), status="paid_out", n=5),
        earlier("15000.00", NOW - timedelta(minutes=9), status="released", n=6),
    ]
    decision = decide(ask("1000.00", "atm"), acct=account(**MEDIUM), recent=recent)
    assert decision.inputs["today_non_counter_total"] == "30000.00"


@pytest.mark.parametrize(
    ("now", "counted"),
    [
        (datetime(2026, 11, 19, 15, 59, 30, tzinfo=UTC), True),  # 23:59:30 the same evening
        (datetime(2026, 11, 19, 16, 1, tzinfo=UTC), False),  # 00:01 the next business day
    ],
)
def test_a_transfer_at_2359_local_counts_for_that_business_day_only(now, counted):
    late = earlier("40000.00", datetime(2026, 11, 19, 15, 59, tzinfo=UTC))  # 23:59 Shanghai
    assert late.business_date == date(2026, 11, 19)
    assert late.requested_at > lookback_start(RULES, now)  # the service would read it
    decision = decide(
        ask("15000.00", "online_transfer"), account(**MEDIUM), None, [late], None, now
    )
    assert decision.inputs["today_non_counter_total"] == ("40000.00" if counted else "0.00")
    assert decision.status == ("rejected" if counted else "approved")


@pytest.mark.parametrize("kind", ["freeze", "stop_payment"])
def test_a_freeze_or_stop_payment_rejects_every_channel(kind):
    acct = account(restrictions=({"id": "r1", "type": kind, "expires_at": None},))
    for channel in ("counter_cash", "atm", "mobile_transfer"):
        assert decide(ask("100.00", channel), acct=acct).reasons == ("ACCOUNT_FROZEN",)


def test_an_expired_restriction_no_longer_applies():
    gone = {"id": "r1", "type": "freeze", "expires_at": "2026-11-20T01:59:59Z"}
    assert decide(ask("100.00"), acct=account(restrictions=(gone,))).status == "approved"


@pytest.mark.parametrize("status", ["pending_review", "refused", "closed"])
def test_only_an_active_account_pays(status):
    assert decide(ask("100.00"), acct=account(status=status)).reasons == ("ACCOUNT_NOT_ACTIVE",)


def test_non_counter_suspended_rejects_transfers_but_not_counter_cash():
    suspended = {"id": "r1", "type": "non_counter_suspended", "expires_at": "2026-12-20T00:00:00Z"}
    acct = account(restrictions=(suspended,))
    assert decide(ask("100.00", "mobile_transfer"), acct=acct).reasons == ("NON_COUNTER_SUSPENDED",)
    assert decide(ask("100.00"), acct=acct).status == "approved"


def test_a_rejection_lists_every_rejection_that_applied_and_still_records_the_holds():
    acct = account(
        status="closed",
        risk_tier="HIGH",
        restrictions=(
            {"id": "r1", "type": "freeze"},
            {"id": "r2", "type": "non_counter_suspended"},
        ),
        **{k: v for k, v in MEDIUM.items() if k != "risk_tier"},
    )
    decision = decide(ask("60000.00", "online_transfer", "investment"), acct=acct)
    assert decision.status == "rejected"
    assert decision.reasons == (
        "ACCOUNT_FROZEN",
        "ACCOUNT_NOT_ACTIVE",
        "NON_COUNTER_SUSPENDED",
        "LIMIT_PER_TRANSACTION",
        "LIMIT_DAILY",
    )
    assert {"RISKY_PURPOSE", "HIGH_RISK_TIER"} <= applied(decision)


def test_story_2_the_elderly_customers_investment_cash_is_held_for_exactly_two_reasons():
    cust = customer(birth_date=date(1958, 3, 2), occupation="retired")
    apt = appointment("80000.00", purpose="investment")
    decision = decide(
        ask("80000.00", purpose="investment", appointment_id="apt_1"), None, cust, (), apt
    )
    assert decision.status == "held"
    assert set(decision.reasons) == {"ELDERLY_LARGE_CASH", "RISKY_PURPOSE"}
    assert decision.inputs["segment"] == "elderly" and decision.inputs["age"] == 68
    record = decision.record()
    assert record["rules_version"] == "2026-11-01"
    assert [v["rule"] for v in record["verdicts"]] == [
        "ACCOUNT_FROZEN",
        "ACCOUNT_NOT_ACTIVE",
        "NON_COUNTER_SUSPENDED",
        "LIMIT_PER_TRANSACTION",
        "LIMIT_DAILY",
        "APPOINTMENT_REQUIRED",
        "RISKY_PURPOSE",
        "ELDERLY_LARGE_CASH",
        "NEW_ACCOUNT_LARGE",
        "PURPOSE_MISMATCH",
        "HIGH_RISK_TIER",
        "OPEN_CASE",
        "VELOCITY",
    ]
    elderly = next(v for v in record["verdicts"] if v["rule"] == "ELDERLY_LARGE_CASH")
    assert elderly["detail"] == {
        "segment": "elderly",
        "age": 68,
        "channel": "counter_cash",
        "amount": "80000.00",
        "threshold": "50000.00",
    }


def test_story_2_a_mobile_transfer_after_non_counter_suspension_is_rejected():
    suspended = {"id": "r1", "type": "non_counter_suspended", "expires_at": "2026-12-20T00:00:00Z"}
    acct = account(risk_tier="HIGH", restrictions=(suspended,), per_transaction_limit=500000)
    acct = replace(acct, daily_limit=to_fen("10000.00"))
    decision = decide(ask("10000.00", "mobile_transfer", "living_expenses"), acct=acct)
    assert decision.status == "rejected"
    assert "NON_COUNTER_SUSPENDED" in decision.reasons


@pytest.mark.parametrize(
    ("birth_date", "occupation", "segment"),
    [
        (date(1966, 11, 20), "student", "elderly"),
        (date(2005, 1, 1), "student", "student"),
        (date(1990, 1, 1), "engineer", "standard"),
    ],
)
def test_segment_is_elderly_then_student_then_standard(birth_date, occupation, segment):
    cust = customer(birth_date=birth_date, occupation=occupation)
    assert decide(ask("100.00"), cust=cust).inputs["segment"] == segment
