"""Screening: one pure function from a request and snapshots to an explained decision."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.withdrawals.rules import Rules
from services.withdrawals.snapshots import (
    AccountSnapshot,
    AppointmentSnapshot,
    CustomerSnapshot,
    Decision,
    PastWithdrawal,
    WithdrawalRequest,
)
from services.withdrawals.verdicts import HOLDS, REJECTIONS, money
from shared.businesstime import age_on, business_date
from shared.envelope import iso

DEFAULT_TIMEZONE = "Asia/Shanghai"


def lookback_start(rules: Rules, now: datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """How far back screening needs the account's requests: today's start or the window's."""
    midnight = datetime.combine(business_date(now, timezone), time(0), ZoneInfo(timezone))
    return min(midnight.astimezone(UTC), now - timedelta(hours=rules.velocity_window_hours))


def segment_of(customer: CustomerSnapshot, today: date, rules: Rules) -> tuple[str, int | None]:
    """DOMAIN §5: elderly if 60 or older on the business date, else student, else standard."""
    age = age_on(customer.birth_date, today) if customer.birth_date else None
    if age is not None and age >= rules.elderly_age:
        return "elderly", age
    if customer.occupation in rules.student_occupations:
        return "student", age
    return "standard", age


@dataclass(frozen=True)
class Observation:
    """What the rules look at, derived once from the request and the snapshots."""

    request: WithdrawalRequest
    account: AccountSnapshot
    today: date
    segment: str
    age: int | None
    account_age_days: int | None
    restrictions: frozenset[str]
    non_counter: bool
    today_total: int
    velocity: list[PastWithdrawal]
    velocity_since: datetime
    appointment: AppointmentSnapshot | None
    appointment_problems: tuple[str, ...]

    @property
    def appointment_valid(self) -> bool:
        return self.appointment is not None and not self.appointment_problems

    @property
    def velocity_count(self) -> int:
        return len(self.velocity) + 1

    @property
    def velocity_total(self) -> int:
        return sum(w.amount for w in self.velocity) + self.request.amount


def screen(
    request: WithdrawalRequest,
    account: AccountSnapshot,
    customer: CustomerSnapshot,
    recent: list[PastWithdrawal],
    appointment: AppointmentSnapshot | None,
    rules: Rules,
    now: datetime,
    timezone: str = DEFAULT_TIMEZONE,
) -> Decision:
    """Rejections first, then holds, else approved; every rule's verdict is kept."""
    seen = _observe(request, account, customer, recent, appointment, rules, now, timezone)
    rejections = [check(seen, rules) for check in REJECTIONS]
    holds = [check(seen, rules) for check in HOLDS]
    rejected = tuple(v.rule for v in rejections if v.applied)
    held = tuple(v.rule for v in holds if v.applied)
    status = "rejected" if rejected else "held" if held else "approved"
    return Decision(
        status=status,
        reasons=rejected or held,
        rules_version=rules.version,
        inputs=_inputs(seen, rules),
        verdicts=tuple(rejections + holds),
        segment=seen.segment,
        age=seen.age,
        appointment_valid=seen.appointment_valid,
    )


def _observe(request, account, customer, recent, appointment, rules, now, timezone) -> Observation:
    today = business_date(now, timezone)
    segment, age = segment_of(customer, today, rules)
    opened = business_date(account.opened_at, timezone) if account.opened_at else None
    since = now - timedelta(hours=rules.velocity_window_hours)
    return Observation(
        request=request,
        account=account,
        today=today,
        segment=segment,
        age=age,
        account_age_days=(today - opened).days if opened else None,
        restrictions=frozenset(r["type"] for r in active_restrictions(account, now)),
        non_counter=request.channel in rules.non_counter_channels,
        today_total=sum(
            w.amount
            for w in recent
            if w.business_date == today
            and w.channel in rules.non_counter_channels
            and w.status in rules.daily_counted_statuses
        ),
        velocity=sorted(
            (
                w
                for w in recent
                if since < w.requested_at <= now and w.status not in rules.velocity_ignored_statuses
            ),
            key=lambda w: (w.requested_at, w.withdrawal_id),
        ),
        velocity_since=since,
        appointment=appointment,
        appointment_problems=appointment_problems(appointment, request, today),
    )


def active_restrictions(account: AccountSnapshot, now: datetime) -> list[dict]:
    """Restrictions in force now: no expiry, or one still ahead."""
    return [r for r in account.restrictions if _still_in_force(r.get("expires_at"), now)]


def _still_in_force(expires_at: str | None, now: datetime) -> bool:
    if not expires_at:
        return True
    try:
        return datetime.fromisoformat(expires_at) > now
    except (TypeError, ValueError):
        return True  # an expiry we cannot read does not lift a restriction


def appointment_problems(
    appointment: AppointmentSnapshot | None, request: WithdrawalRequest, today: date
) -> tuple[str, ...]:
    """Why an appointment does not cover this request; empty when it is valid."""
    if appointment is None:
        return ("none",)
    checks = (
        ("other_account", appointment.account_id != request.account_id),
        ("other_date", appointment.date != today),
        ("amount_above_appointment", request.amount > appointment.amount),
        ("used", appointment.status == "used"),
        ("cancelled", appointment.status == "cancelled"),
    )
    return tuple(name for name, failed in checks if failed)


def _inputs(seen: Observation, rules: Rules) -> dict:
    account, appointment = seen.account, seen.appointment
    return {
        "business_date": seen.today.isoformat(),
        "account_status": account.status,
        "tier": account.risk_tier,
        "limits": {
            "per_transaction": money(account.per_transaction_limit),
            "daily": money(account.daily_limit),
        },
        "restrictions": [dict(r) for r in account.restrictions],
        "active_restrictions": sorted(seen.restrictions),
        "segment": seen.segment,
        "age": seen.age,
        "opened_at": iso(account.opened_at) if account.opened_at else None,
        "account_age_days": seen.account_age_days,
        "open_case_ids": list(account.open_case_ids),
        "today_non_counter_total": money(seen.today_total),
        "velocity": {
            "since": iso(seen.velocity_since),
            "count": seen.velocity_count,
            "total": money(seen.velocity_total),
            "withdrawal_ids": [w.withdrawal_id for w in seen.velocity],
        },
        "appointment": None
        if appointment is None
        else {
            "appointment_id": appointment.appointment_id,
            "account_id": appointment.account_id,
            "amount": money(appointment.amount),
            "date": appointment.date.isoformat(),
            "purpose": appointment.purpose,
            "status": appointment.status,
            "valid": seen.appointment_valid,
            "problems": list(seen.appointment_problems),
        },
    }
