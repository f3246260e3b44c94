"""One small function per screening rule, in DOMAIN §6 order; each says what it compared."""

from typing import TYPE_CHECKING

from services.withdrawals.rules import Rules
from services.withdrawals.snapshots import Verdict
from shared.money import from_fen

if TYPE_CHECKING:
    from services.withdrawals.screening import Observation


def money(fen: int | None) -> str | None:
    return None if fen is None else from_fen(fen)


def _reject(rule: str, applied: bool, **detail) -> Verdict:
    return Verdict(rule, "reject", bool(applied), detail)


def _hold(rule: str, applied: bool, **detail) -> Verdict:
    return Verdict(rule, "hold", bool(applied), detail)


def _frozen(seen: "Observation", rules: Rules) -> Verdict:
    found = sorted(seen.restrictions & rules.freezing_restrictions)
    return _reject("ACCOUNT_FROZEN", found, restrictions=found)


def _not_active(seen: "Observation", rules: Rules) -> Verdict:
    status = seen.account.status
    return _reject("ACCOUNT_NOT_ACTIVE", status not in rules.active_statuses, status=status)


def _non_counter_suspended(seen: "Observation", rules: Rules) -> Verdict:
    found = sorted(seen.restrictions & rules.non_counter_restrictions)
    return _reject(
        "NON_COUNTER_SUSPENDED",
        seen.non_counter and found,
        channel=seen.request.channel,
        non_counter=seen.non_counter,
        restrictions=found,
    )


def _limit_per_transaction(seen: "Observation", rules: Rules) -> Verdict:
    limit = seen.account.per_transaction_limit or 0
    return _reject(
        "LIMIT_PER_TRANSACTION",
        seen.non_counter and seen.request.amount > limit,
        non_counter=seen.non_counter,
        amount=money(seen.request.amount),
        limit=money(limit),
    )


def _limit_daily(seen: "Observation", rules: Rules) -> Verdict:
    limit = seen.account.daily_limit or 0
    with_this = seen.today_total + seen.request.amount
    return _reject(
        "LIMIT_DAILY",
        seen.non_counter and with_this > limit,
        non_counter=seen.non_counter,
        business_date=seen.today.isoformat(),
        today_total=money(seen.today_total),
        amount=money(seen.request.amount),
        total_with_this=money(with_this),
        limit=money(limit),
    )


def _appointment_required(seen: "Observation", rules: Rules) -> Verdict:
    needed = (
        seen.request.channel in rules.appointment_channels
        and seen.request.amount >= rules.registration_threshold
    )
    return _reject(
        "APPOINTMENT_REQUIRED",
        needed and not seen.appointment_valid,
        channel=seen.request.channel,
        amount=money(seen.request.amount),
        threshold=money(rules.registration_threshold),
        appointment_id=seen.request.appointment_id,
        appointment_valid=seen.appointment_valid,
        appointment_problems=list(seen.appointment_problems),
    )


def _risky_purpose(seen: "Observation", rules: Rules) -> Verdict:
    return _hold(
        "RISKY_PURPOSE",
        seen.request.purpose in rules.risky_purposes
        and seen.request.amount >= rules.risky_purpose_threshold,
        purpose=seen.request.purpose,
        amount=money(seen.request.amount),
        threshold=money(rules.risky_purpose_threshold),
    )


def _elderly_large_cash(seen: "Observation", rules: Rules) -> Verdict:
    return _hold(
        "ELDERLY_LARGE_CASH",
        seen.segment in rules.elderly_segments
        and seen.request.channel in rules.elderly_channels
        and seen.request.amount >= rules.elderly_threshold,
        segment=seen.segment,
        age=seen.age,
        channel=seen.request.channel,
        amount=money(seen.request.amount),
        threshold=money(rules.elderly_threshold),
    )


def _new_account_large(seen: "Observation", rules: Rules) -> Verdict:
    # An account whose opening date never reached us counts as new: the cautious reading.
    days = seen.account_age_days
    return _hold(
        "NEW_ACCOUNT_LARGE",
        (days is None or days < rules.new_account_days)
        and seen.request.amount >= rules.new_account_threshold,
        account_age_days=days,
        days=rules.new_account_days,
        amount=money(seen.request.amount),
        threshold=money(rules.new_account_threshold),
    )


def _purpose_mismatch(seen: "Observation", rules: Rules) -> Verdict:
    booked = seen.appointment.purpose if seen.appointment_valid else None
    return _hold(
        "PURPOSE_MISMATCH",
        seen.appointment_valid and booked != seen.request.purpose,
        purpose=seen.request.purpose,
        appointment_purpose=booked,
        appointment_valid=seen.appointment_valid,
    )


def _high_risk_tier(seen: "Observation", rules: Rules) -> Verdict:
    return _hold(
        "HIGH_RISK_TIER",
        seen.account.risk_tier in rules.high_risk_tiers
        and seen.request.amount >= rules.high_risk_threshold,
        tier=seen.account.risk_tier,
        amount=money(seen.request.amount),
        threshold=money(rules.high_risk_threshold),
    )


def _open_case(seen: "Observation", rules: Rules) -> Verdict:
    cases = list(seen.account.open_case_ids)
    return _hold("OPEN_CASE", cases, open_case_ids=cases)


def _velocity(seen: "Observation", rules: Rules) -> Verdict:
    return _hold(
        "VELOCITY",
        seen.velocity_count >= rules.velocity_count and seen.velocity_total >= rules.velocity_total,
        window_hours=rules.velocity_window_hours,
        count=seen.velocity_count,
        count_threshold=rules.velocity_count,
        total=money(seen.velocity_total),
        total_threshold=money(rules.velocity_total),
    )


REJECTIONS = (
    _frozen,
    _not_active,
    _non_counter_suspended,
    _limit_per_transaction,
    _limit_daily,
    _appointment_required,
)
HOLDS = (
    _risky_purpose,
    _elderly_large_cash,
    _new_account_large,
    _purpose_mismatch,
    _high_risk_tier,
    _open_case,
    _velocity,
)
