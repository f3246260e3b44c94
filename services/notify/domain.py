"""Notify's policy, pure: which templates exist, segments, quiet hours and channel order."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.businesstime import age_on
from shared.envelope import as_utc

SECURITY = "security"
EDUCATION = "education"

# Template → category. Security notices always go out; education respects opt-outs and
# quiet hours. `fraud_tips` exists for campaigns only.
TEMPLATES = {
    "welcome": EDUCATION,
    "fraud_tips": EDUCATION,
    "withdrawal_held": SECURITY,
    "withdrawal_released": SECURITY,
    "fraud_warning": SECURITY,
    "account_restricted": SECURITY,
    "limits_changed": SECURITY,
}
EDUCATION_TEMPLATES = tuple(sorted(t for t, c in TEMPLATES.items() if c == EDUCATION))
SEGMENTS = ("elderly", "student", "standard")
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
ELDERLY_AGE = 60

# Why a notification was not sent at all.
NO_CONTACT = "no_contact"
OPTED_OUT = "opted_out"
NO_CHANNEL = "no_channel"


def segment_of(birth_date: str | None, occupation: str | None, on: date) -> str:
    """DOMAIN §5: elderly at 60 or more, else student by occupation, else standard."""
    if birth_date and age_on(date.fromisoformat(birth_date), on) >= ELDERLY_AGE:
        return "elderly"
    if is_student(occupation):
        return "student"
    return "standard"


def is_student(occupation: str | None) -> bool:
    return (occupation or "").strip().lower() == "student"


def elderly_born_on_or_before(on: date) -> date:
    """The latest birth date of someone aged 60 or more on `on` (for a database filter)."""
    try:
        return on.replace(year=on.year - ELDERLY_AGE)
    except ValueError:  # 29 February: that person turns 60 on 1 March, so 28 February still is
        return on.replace(year=on.year - ELDERLY_AGE, day=28)


def language_of(preferred: str | None) -> str:
    return preferred if preferred in LANGUAGES else DEFAULT_LANGUAGE


def quiet_until(now: datetime, timezone: str, start: time, end: time) -> datetime | None:
    """When quiet hours that contain `now` end (UTC), or None outside quiet hours."""
    local = as_utc(now).astimezone(ZoneInfo(timezone))
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
        wake_day = local.date()
    else:  # spans midnight: 22:00–08:00
        inside = clock >= start or clock < end
        wake_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    wake = datetime.combine(wake_day, end, tzinfo=ZoneInfo(timezone))
    return as_utc(wake)


def first_allowed(moment: datetime, category: str, timezone: str, start: time, end: time):
    """`moment`, or the end of quiet hours if an education message would fall inside them."""
    if category != EDUCATION:
        return moment
    return quiet_until(moment, timezone, start, end) or moment


def addressable(channel: str, phone: str | None, email: str | None) -> bool:
    """Push reaches the bank's app by customer id; sms and email need an address."""
    if channel == "sms":
        return bool(phone)
    if channel == "email":
        return bool(email)
    return True


def channel_order(
    preferred: Sequence[str] | None,
    default: Sequence[str],
    enabled: Sequence[str],
    phone: str | None,
    email: str | None,
) -> tuple[str, ...]:
    """The customer's channels in order, enabled and addressable only, `log` as the last resort."""
    order = [c for c in (preferred or default) if c in enabled and addressable(c, phone, email)]
    if "log" in enabled and "log" not in order:
        order.append("log")
    return tuple(dict.fromkeys(order))
