"""How the console shows times left and money; the words for codes are services.cases.words."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext

from services.cases.words import label


def _parts(seconds: float) -> dict:
    minutes = max(int(abs(seconds) // 60), 0)
    return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60}


def time_left(due_at: str | None, now: datetime) -> str:
    """How long until the SLA is due, or how long ago it was, in whole sentences."""
    if not due_at:
        return ""
    seconds = (datetime.fromisoformat(due_at) - now).total_seconds()
    parts = _parts(seconds)
    if seconds >= 0:
        if parts["days"]:
            return gettext("%(days)d d %(hours)d h left", **parts)
        if parts["hours"]:
            return gettext("%(hours)d h %(minutes)d min left", **parts)
        return gettext("%(minutes)d min left", **parts)
    if parts["days"]:
        return gettext("Overdue by %(days)d d %(hours)d h", **parts)
    if parts["hours"]:
        return gettext("Overdue by %(hours)d h %(minutes)d min", **parts)
    return gettext("Overdue by %(minutes)d min", **parts)


def money(amount: str | None) -> str:
    """ "80000.00" as 80,000.00: the separators a person reads, the exact value kept."""
    if amount in (None, ""):
        return ""
    try:
        return f"{Decimal(str(amount)):,.2f}"
    except InvalidOperation:
        return str(amount)


# Parts of a timeline sentence that are codes (words.LABELS kinds) or instants.
CODE_PARTS = {
    "case_type": "case_type",
    "outcome": "outcome",
    "contact_outcome": "contact_outcome",
    "type": "restriction",
    "refusal": "refusal",
    "event_type": "event",
}
TIME_PARTS = ("due_at", "sla_due_at", "expires_at")


def told(entry: dict) -> str:
    """A timeline entry in the reader's language: its template translated, codes as words."""
    sentence = entry.get("sentence")
    if not sentence:
        return entry.get("action", "")
    parts = dict(sentence["parts"])
    parts["who"] = parts.get("who") or gettext("someone")
    if "unit" in parts:
        parts["unit"] = parts["unit"] or gettext("the police")
    for key, kind in CODE_PARTS.items():
        if key in parts:
            parts[key] = label(kind, parts[key])
    local_time = current_app.jinja_env.filters["local_time"]
    for key in TIME_PARTS:
        if parts.get(key):
            parts[key] = local_time(parts[key])
    return gettext(sentence["template"], **parts)
