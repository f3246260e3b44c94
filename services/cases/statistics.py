"""The supervisors' dashboard figures, aggregated in SQL over the narrow case_statistics rows.

Times are fixed-width RFC 3339 UTC strings, so a window is a text comparison. Each local day
is its own range between two local midnights converted to UTC (exact in any zone, across DST
changes), and one UNION ALL asks for all thirty: each branch reads a slice of one covering
index, already in order, which is cheaper than sorting the whole window into day groups.
No query returns a row per case: at most one per day and reason combination.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    union_all,
)

from services.cases.domain import POLICE_OUTCOMES, QUEUES, UNRESOLVED
from services.cases.projections import REASON_SEPARATOR
from services.cases.projections import statistics as rows
from shared.db import read_transaction
from shared.envelope import iso

WINDOW_DAYS = 30
# (name, upper bound of the age in hours); the last bucket has none.
AGE_BUCKETS = (("under_1h", 1), ("1h_to_4h", 4), ("4h_to_24h", 24), ("over_1d", None))


@dataclass(frozen=True)
class Window:
    """The last WINDOW_DAYS local days up to and including today; `starts` are their midnights
    in UTC text, `end` the midnight after today."""

    days: tuple[date, ...]
    starts: tuple[str, ...]
    end: str

    def covers(self, column):
        return and_(column >= self.starts[0], column < self.end)

    def ranges(self) -> list[tuple[str, str]]:
        """Each day's [start, end) in UTC text."""
        return list(zip(self.starts, (*self.starts[1:], self.end), strict=True))

    def each_day(self, column, *selected, group_by=()):
        """One branch per day: its index, then `selected` over the rows `column` puts in it."""
        return union_all(
            *(
                select(literal_column(str(n)), *selected)
                .where(column >= start, column < end)
                .group_by(*group_by)
                for n, (start, end) in enumerate(self.ranges())
            )
        )


def window(now: datetime, timezone: str, days: int = WINDOW_DAYS) -> Window:
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    local_days = tuple(today - timedelta(days=back) for back in range(days - 1, -1, -1))
    starts = tuple(iso(_midnight(day, zone)) for day in local_days)
    return Window(local_days, starts, iso(_midnight(today + timedelta(days=1), zone)))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


# Built once per window, so SQLAlchemy reuses the compiled SQL all day.
@lru_cache(maxsize=8)
def _resolved_per_day(span: Window):
    within = func.sum(case((rows.c.resolved_at <= rows.c.sla_due_at, 1), else_=0))
    return span.each_day(rows.c.resolved_at, func.count(), within)


@lru_cache(maxsize=8)
def _held_per_day(span: Window):
    reasons = rows.c.hold_reasons
    return span.each_day(rows.c.held_at, reasons, func.count(), group_by=[reasons])


def open_by_queue(conn: Connection, now: datetime) -> dict:
    """Unresolved cases by queue and by how long ago they were opened."""
    whens = [
        (rows.c.opened_at > iso(now - timedelta(hours=hours)), index)
        for index, (_, hours) in enumerate(AGE_BUCKETS)
        if hours is not None
    ]
    aged = select(rows.c.queue, case(*whens, else_=len(whens)).label("bucket")).where(
        rows.c.status.in_(sorted(UNRESOLVED))
    )
    aged = aged.subquery()
    query = select(aged.c.queue, aged.c.bucket, func.count()).group_by(aged.c.queue, aged.c.bucket)
    names = [name for name, _ in AGE_BUCKETS]
    counts = {queue: dict.fromkeys(names, 0) for queue in QUEUES}
    for queue, bucket, count in conn.execute(query).all():
        counts.setdefault(queue, dict.fromkeys(names, 0))[names[bucket]] += count
    total = sum(sum(by_age.values()) for by_age in counts.values())
    return {"buckets": names, "queues": counts, "total": total}


def sla_compliance(conn: Connection, span: Window) -> dict:
    """Per local day, the cases resolved that day and how many of them by their due time."""
    resolved, in_time = Counter(), Counter()
    for day, count, kept in conn.execute(_resolved_per_day(span)).all():
        resolved[day] += count
        in_time[day] += int(kept or 0)
    days = [
        _compliance(day.isoformat(), resolved[n], in_time[n]) for n, day in enumerate(span.days)
    ]
    total = _compliance(None, sum(resolved.values()), sum(in_time.values()))
    del total["day"]
    return {"days": days, **total}


def _compliance(day: str | None, resolved: int, within: int) -> dict:
    percent = round(100 * within / resolved, 1) if resolved else None
    return {"day": day, "resolved": resolved, "within_sla": within, "percent": percent}


def holds_by_reason(conn: Connection, span: Window) -> dict:
    """Per local day, the holds and their reasons; a hold with two reasons counts under both."""
    held: Counter = Counter()
    by_reason: dict[int, Counter] = {n: Counter() for n in range(len(span.days))}
    for day, reasons, count in conn.execute(_held_per_day(span)).all():
        held[day] += count
        for reason in filter(None, (reasons or "").split(REASON_SEPARATOR)):
            by_reason[day][reason] += count
    totals = sum(by_reason.values(), Counter())
    days = [
        {"day": day.isoformat(), "holds": held[n], "by_reason": dict(by_reason[n])}
        for n, day in enumerate(span.days)
    ]
    return {
        "reasons": sorted(totals, key=lambda reason: (-totals[reason], reason)),
        "days": days,
        "holds": sum(held.values()),
        "totals": dict(totals),
    }


def police_outcomes(conn: Connection, span: Window) -> dict:
    """How the police answered holds: in the window and since the beginning."""
    recent = func.sum(case((span.covers(rows.c.confirmed_at), 1), else_=0))
    query = (
        select(rows.c.police_outcome, func.count(), recent)
        .where(rows.c.police_outcome.is_not(None))
        .group_by(rows.c.police_outcome)
    )
    all_time = dict.fromkeys(POLICE_OUTCOMES, 0)
    last_days = dict.fromkeys(POLICE_OUTCOMES, 0)
    for outcome, count, in_window in conn.execute(query).all():
        all_time[outcome] = count
        last_days[outcome] = int(in_window or 0)
    return {"outcomes": list(all_time), "last_30_days": last_days, "all_time": all_time}


def hold_to_confirmation(conn: Connection, span: Window) -> dict:
    """Minutes from the hold to the police's answer, for answers given in the window.

    The waits come back as one comma-joined string, not a row each: thousands of rows are
    thousands of objects for the garbage collector, and enough of them per page view set off
    full collections that cost more than the query. Sorted here, the quantiles are exact.
    """
    joined = func.aggregate_strings(cast(rows.c.seconds_to_confirmation, Text), ",")
    text = conn.execute(select(joined).where(span.covers(rows.c.confirmed_at))).scalar_one()
    waits = sorted(float(seconds) / 60 for seconds in text.split(",")) if text else []
    return {
        "confirmed": len(waits),
        "median_minutes": _rounded(quantile(waits, 0.5)),
        "p90_minutes": _rounded(quantile(waits, 0.9)),
    }


def quantile(ordered: list[float], q: float) -> float | None:
    """Linear between the closest ranks (statistics.quantiles' 'inclusive'); None when empty."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


@contextmanager
def _reading(bind: Engine | Connection) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
        return
    with read_transaction(bind) as conn:
        yield conn


def dashboard(bind: Engine | Connection, now: datetime, timezone: str) -> dict:
    """Every figure of the dashboard, read in one snapshot."""
    span = window(now, timezone)
    with _reading(bind) as conn:
        return {
            "generated_at": iso(now),
            "timezone": timezone,
            "days": [day.isoformat() for day in span.days],
            "open_by_queue": open_by_queue(conn, now),
            "sla_compliance": sla_compliance(conn, span),
            "holds_by_reason": holds_by_reason(conn, span),
            "police_outcomes": police_outcomes(conn, span),
            "hold_to_confirmation": hold_to_confirmation(conn, span),
        }
