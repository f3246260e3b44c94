"""Business dates: calendar days in WARDEN_TIMEZONE (Asia/Shanghai), where limits reset."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.envelope import as_utc


def business_date(moment: datetime, timezone: str) -> date:
    return as_utc(moment).astimezone(ZoneInfo(timezone)).date()


def age_on(birth_date: date, day: date) -> int:
    """Whole years, as a person counts their age (a 29 February birthday turns on 1 March)."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday
