"""The supervisors' dashboard figures, aggregated in SQL over the narrow case_statistics rows.

Times are fixed-width RFC 3339 UTC strings, so every window is a text comparison, and the
local day of a time is found in SQL too: a binary search over the window's local midnights
(a nested CASE, five comparisons for thirty days), exact in any zone and across DST changes.
Each query reads only the entries of one covering index and returns a few dozen rows at most;
the quantiles of the waits for the police are picked by rank, two rows each.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, case, func, literal_column, select

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

    def day_index(self, column, low: int = 0, high: int | None = None):
        """Which of the days `column` falls on, for a row already inside the window."""
        high = len(self.days) if high is None else high
        if high - low == 1:
            return literal_column(str(low))
        middle = (low + high) // 2
        return case(
            (column < self.starts[middle], self.day_index(column, low, middle)),
            else_=self.day_index(column, middle, high),
        )


def window(now: datetime, timezone: str, days: int = WINDOW_DAYS) -> Window:
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    local_days = tuple(today - timedelta(days=back) for back in range(days - 1, -1, -1))
    starts = tuple(iso(_midnight(day, zone)) for day in local_days)
    return Window(local_days, starts, iso(_midnight(today + timedelta(days=1), zone)))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _per_day(conn: Connection, column, span: Window, *measures, key=None) -> list:
    """(day index, [key,] measures...) rows for the window, grouped in SQL.

    The grouping happens over a labelled subquery: PostgreSQL would not match a GROUP BY
    expression whose bound parameters differ from the selected one's.
    """
    inner = [span.day_index(column).label("day"), *([key.label("key")] if key is not None else [])]
    inner += [measure.label(f"m{n}") for n, measure in enumerate(measures)]
    listed = select(*inner).where(span.covers(column)).subquery()
    keys = [listed.c.day] + ([listed.c.key] if key is not None else [])
    sums = [func.count()] + [func.sum(listed.c[f"m{n}"]) for n in range(len(measures))]
    return list(conn.execute(select(*keys, *sums).group_by(*keys)))


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
    for queue, bucket, count in conn.execute(query):
        counts.setdefault(queue, dict.fromkeys(names, 0))[names[bucket]] += count
    total = sum(sum(by_age.values()) for by_age in counts.values())
    return {"buckets": names, "queues": counts, "total": total}


def sla_compliance(conn: Connection, span: Window) -> dict:
    """Per local day, the cases resolved that day and how many of them by their due time."""
    within = case((rows.c.resolved_at <= rows.c.sla_due_at, 1), else_=0)
    resolved, in_time = Counter(), Counter()
    for day, count, kept in _per_day(conn, rows.c.resolved_at, span, within):
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
    for day, reasons, count in _per_day(conn, rows.c.held_at, span, key=rows.c.hold_reasons):
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
    for outcome, count, in_window in conn.execute(query):
        all_time[outcome] = count
        last_days[outcome] = int(in_window or 0)
    return {"outcomes": list(all_time), "last_30_days": last_days, "all_time": all_time}


def hold_to_confirmation(conn: Connection, span: Window) -> dict:
    """Minutes from the hold to the police's answer, for answers given in the window."""
    answered = span.covers(rows.c.confirmed_at)
    count = conn.execute(select(func.count()).where(answered)).scalar_one()
    positions = {
        name: q * (count - 1) for name, q in (("median_minutes", 0.5), ("p90_minutes", 0.9))
    }
    ranked = _ranked_waits(
        conn, answered, {int(p) + step for p in positions.values() for step in (0, 1)}
    )
    figures = {"confirmed": count}
    for name, position in positions.items():
        figures[name] = _rounded(_between_ranks(ranked, position)) if count else None
    return figures


def _ranked_waits(conn: Connection, answered, ranks: set[int]) -> dict[int, float]:
    """The waits, in minutes, at the given ranks (0 = shortest), sorted once in SQL."""
    rank = func.row_number().over(order_by=rows.c.seconds_to_confirmation) - 1
    listed = select(rows.c.seconds_to_confirmation.label("seconds"), rank.label("rank"))
    listed = listed.where(answered).subquery()
    query = select(listed.c.rank, listed.c.seconds).where(listed.c.rank.in_(sorted(ranks)))
    return {rank: seconds / 60 for rank, seconds in conn.execute(query)}


def _between_ranks(ranked: dict[int, float], position: float) -> float:
    """Linear between the closest ranks, as statistics.quantiles(method='inclusive')."""
    low = int(position)
    high = ranked.get(low + 1, ranked[low])
    return ranked[low] + (high - ranked[low]) * (position - low)


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
