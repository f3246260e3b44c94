"""Reads of the accounts projections, for views, due diligence and the timers."""

from datetime import datetime

from sqlalchemy import Connection, func, select

from services.accounts.opening import OpeningFacts
from services.accounts.policy import Policy
from services.accounts.projections import accounts, customers, restrictions, watchlist
from services.accounts.watchlist import id_number_key
from shared.envelope import iso

COUNTED_OPENINGS = ("AccountOpened", "AccountOpeningReferred")


def _one(conn: Connection, query) -> dict | None:
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def customer(conn: Connection, customer_id: str) -> dict | None:
    return _one(conn, select(customers).where(customers.c.id == customer_id))


def customer_with_id_number(conn: Connection, id_number: str) -> str | None:
    query = select(customers.c.id).where(customers.c.id_number_key == id_number_key(id_number))
    return conn.execute(query).scalars().first()


def account(conn: Connection, account_id: str) -> dict | None:
    """The account row with its active restrictions, oldest first."""
    row = _one(conn, select(accounts).where(accounts.c.id == account_id))
    if row is None:
        return None
    query = (
        select(restrictions)
        .where(restrictions.c.account_id == account_id)
        .order_by(restrictions.c.restricted_at, restrictions.c.id)
    )
    row["restrictions"] = [dict(r) for r in conn.execute(query).mappings()]
    return row


def watchlist_entry(conn: Connection, entry_id: str) -> dict | None:
    return _one(conn, select(watchlist).where(watchlist.c.id == entry_id))


def is_watchlisted(conn: Connection, id_number: str) -> bool:
    query = select(watchlist.c.id).where(
        watchlist.c.id_number_key == id_number_key(id_number), watchlist.c.status == "active"
    )
    return conn.execute(query.limit(1)).first() is not None


def recent_openings(conn: Connection, customer_id: str, since: datetime) -> int:
    """Accounts opened or referred for review since `since`; refused-at-once ones do not count."""
    query = select(func.count()).where(
        accounts.c.customer_id == customer_id,
        accounts.c.opening.in_(COUNTED_OPENINGS),
        accounts.c.requested_at >= iso(since),
    )
    return conn.execute(query).scalar_one()


def opening_facts(
    conn: Connection, customer_id: str, policy: Policy, now: datetime
) -> OpeningFacts | None:
    """What due diligence needs about the customer, or None for an unknown customer."""
    row = customer(conn, customer_id)
    if row is None:
        return None
    return OpeningFacts(
        customer_name=row["name"],
        customer_employer=row["employer"],
        watchlisted=is_watchlisted(conn, row["id_number"]),
        recent_openings=recent_openings(conn, customer_id, now - policy.recent_accounts_window),
    )


def decay_candidates(conn: Connection, policy: Policy, now: datetime) -> list[str]:
    """Active accounts above the lowest tier, quiet for the decay period (the aggregate decides)."""
    cutoff = iso(now - policy.decay_after)
    query = select(accounts.c.id).where(
        accounts.c.status == "active",
        accounts.c.risk_tier.not_in((policy.lowest, policy.highest)),
        accounts.c.tier_changed_at <= cutoff,
        accounts.c.last_hold_at.is_(None) | (accounts.c.last_hold_at <= cutoff),
    )
    return list(conn.execute(query.order_by(accounts.c.id)).scalars())


def expiry_candidates(conn: Connection, now: datetime) -> list[str]:
    """Accounts with at least one restriction whose expiry has passed."""
    query = (
        select(restrictions.c.account_id)
        .where(restrictions.c.expires_at.is_not(None), restrictions.c.expires_at <= iso(now))
        .distinct()
    )
    return sorted(conn.execute(query).scalars())
