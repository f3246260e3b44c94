"""The console's work queues and search: most urgent first, paged by keyset (no Flask).

A queue is sorted by (settled, sla_due_at, id): unresolved cases before settled ones, then by
SLA due time, the id breaking ties. The cursor is that key of the last row shown, so a page
costs the same at case 50 and at case 50,000, and a case never shows twice across pages.
"""

from sqlalchemy import Engine, case, or_, select, tuple_

from services.cases.domain import (
    CASE_TYPES,
    INVESTIGATORS,
    OPEN,
    SLA_STATES,
    STATUSES,
    SUPERVISORS,
    UNRESOLVED,
)
from services.cases.projections import cases
from shared.db import read_transaction

QUEUES = ("mine", "unassigned", "supervisors")
PAGE_SIZE = 50
FILTERS = {
    "type": (cases.c.case_type, CASE_TYPES),
    "status": (cases.c.status, STATUSES),
    "sla": (cases.c.sla_state, SLA_STATES),
}

SETTLED = case((cases.c.status.in_(sorted(UNRESOLVED)), 0), else_=1)
ORDER = (SETTLED, cases.c.sla_due_at, cases.c.id)
# Queues of unresolved cases only: `settled` is 0 throughout, so (due, id) alone orders them,
# and an index on (queue, status, sla_due_at, id) can serve the page without sorting.
URGENT = (cases.c.sla_due_at, cases.c.id)


def valid_filters(args) -> dict:
    """Only the filters and values a queue knows; anything else is as if not asked."""
    return {name: args[name] for name, (_, allowed) in FILTERS.items() if args.get(name) in allowed}


def valid_cursor(key) -> list | None:
    """A decoded cursor is trusted only if it has the shape this module issues."""
    if (
        isinstance(key, list)
        and len(key) == 3
        and key[0] in (0, 1)
        and all(isinstance(part, str) for part in key[1:])
    ):
        return key
    return None


def _queue_condition(queue: str, me: str):
    if queue == "mine":
        return cases.c.assignee == me
    if queue == "unassigned":
        return (
            (cases.c.status == OPEN) & cases.c.assignee.is_(None) & (cases.c.queue == INVESTIGATORS)
        )
    if queue == "supervisors":
        return (cases.c.queue == SUPERVISORS) & cases.c.status.in_(sorted(UNRESOLVED))
    raise ValueError(f"no queue {queue!r}")


def _page(
    engine: Engine, condition, filters: dict, after: list | None, limit: int, mixed: bool
) -> dict:
    """`mixed`: the rows may be settled too, so the unresolved are sorted first."""
    order, key = (ORDER, after) if mixed else (URGENT, after and after[1:])
    query = select(cases, SETTLED.label("settled")).where(condition)
    for name, value in valid_filters(filters).items():
        query = query.where(FILTERS[name][0] == value)
    if key:
        query = query.where(tuple_(*order) > tuple_(*key))
    query = query.order_by(*order).limit(limit + 1)
    with read_transaction(engine) as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    items = rows[:limit]
    more = len(rows) > limit
    last = items[-1] if items else None
    cursor = [last["settled"], last["sla_due_at"], last["id"]] if more else None
    return {"items": items, "next_key": cursor}


def queue_page(
    engine: Engine,
    queue: str,
    me: str,
    filters: dict,
    after: list | None = None,
    limit: int = PAGE_SIZE,
) -> dict:
    """One page of a queue: {"items": case rows, "next_key": the key to pass as `after`}."""
    return _page(engine, _queue_condition(queue, me), filters, after, limit, queue == "mine")


def search_page(engine: Engine, q: str, after: list | None = None, limit: int = PAGE_SIZE) -> dict:
    """Cases about an account or a withdrawal, most urgent first."""
    condition = or_(cases.c.account_id == q, cases.c.withdrawal_id == q)
    return _page(engine, condition, {}, after, limit, True)


def case_exists(engine: Engine, case_id: str) -> bool:
    with read_transaction(engine) as conn:
        found = conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first()
    return found is not None


def next_unassigned(engine: Engine, skip: set[str]) -> str | None:
    """The most urgent unassigned case not in `skip` (those this caller already lost)."""
    query = select(cases.c.id).where(_queue_condition("unassigned", ""))
    if skip:
        query = query.where(cases.c.id.not_in(sorted(skip)))
    query = query.order_by(*URGENT).limit(1)
    with read_transaction(engine) as conn:
        return conn.execute(query).scalar_one_or_none()
