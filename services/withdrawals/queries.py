"""Reads of the read models: snapshots for screening, rows for the API."""

from datetime import date, datetime
from functools import cache

from sqlalchemy import Connection, Select, Table, bindparam, select

from services.withdrawals.snapshots import (
    AccountSnapshot,
    AppointmentSnapshot,
    CustomerSnapshot,
    PastWithdrawal,
)
from shared.envelope import iso
from shared.projections import Projections


def table(projections: Projections, name: str) -> Table:
    return projections.metadata.tables[f"wd_{name}"]


@cache
def _by_key(tbl: Table, key: str) -> Select:
    """Built once per table and key: screening runs these on every request."""
    return select(tbl).where(tbl.c[key] == bindparam("value"))


@cache
def _recent(tbl: Table) -> Select:
    """Only what screening adds up: the decision and the payee (JSON) stay unread."""
    columns = ("id", "amount", "channel", "status", "requested_at", "business_date")
    return (
        select(*(tbl.c[name] for name in columns))
        .where(tbl.c.account_id == bindparam("account_id"))
        .where(tbl.c.requested_at > bindparam("since"))
        .order_by(tbl.c.requested_at)
    )


def _row(conn: Connection, projections: Projections, name: str, key: str, value) -> dict | None:
    found = conn.execute(_by_key(table(projections, name), key), {"value": value})
    row = found.mappings().first()
    return None if row is None else dict(row)


def account_snapshot(
    conn: Connection, projections: Projections, account_id: str
) -> AccountSnapshot | None:
    """None until an accounts event has told us the account's status."""
    row = _row(conn, projections, "account_views", "account_id", account_id)
    if row is None or row["status"] is None:
        return None
    return AccountSnapshot(
        account_id=account_id,
        customer_id=row["customer_id"],
        branch_id=row["branch_id"],
        status=row["status"],
        risk_tier=row["risk_tier"],
        per_transaction_limit=row["per_transaction_limit"],
        daily_limit=row["daily_limit"],
        verification_method=row["verification_method"],
        restrictions=tuple(row["restrictions"]),
        opened_at=datetime.fromisoformat(row["opened_at"]) if row["opened_at"] else None,
        open_case_ids=tuple(row["open_case_ids"]),
    )


def customer_snapshot(
    conn: Connection, projections: Projections, customer_id: str | None
) -> CustomerSnapshot | None:
    row = _row(conn, projections, "customer_views", "customer_id", customer_id)
    if row is None:
        return None
    birth = row.pop("birth_date")
    return CustomerSnapshot(birth_date=date.fromisoformat(birth) if birth else None, **row)


def appointment_row(conn: Connection, projections: Projections, appointment_id: str):
    return _row(conn, projections, "appointments", "id", appointment_id)


def appointment_snapshot(
    conn: Connection, projections: Projections, appointment_id: str
) -> AppointmentSnapshot | None:
    row = appointment_row(conn, projections, appointment_id)
    if row is None:
        return None
    return AppointmentSnapshot(
        appointment_id=row["id"],
        account_id=row["account_id"],
        amount=row["amount"],
        date=date.fromisoformat(row["date"]),
        purpose=row["purpose"],
        status=row["status"],
    )


def recent_withdrawals(
    conn: Connection, projections: Projections, account_id: str, since: datetime
) -> list[PastWithdrawal]:
    """The account's requests made after `since`; iso() strings sort as the times they name."""
    query = _recent(table(projections, "withdrawals"))
    rows = conn.execute(query, {"account_id": account_id, "since": iso(since)})
    return [
        PastWithdrawal(
            withdrawal_id=row.id,
            amount=row.amount,
            channel=row.channel,
            status=row.status,
            requested_at=datetime.fromisoformat(row.requested_at),
            business_date=date.fromisoformat(row.business_date),
        )
        for row in rows
    ]


def withdrawal_row(conn: Connection, projections: Projections, withdrawal_id: str):
    return _row(conn, projections, "withdrawals", "id", withdrawal_id)


def withdrawal_page(
    conn: Connection,
    projections: Projections,
    *,
    limit: int,
    after: str | None = None,
    account_id: str | None = None,
    status: str | None = None,
    branch_id: str | None = None,
) -> list[dict]:
    """Up to limit + 1 withdrawals, newest first (ids sort by creation time)."""
    tbl = table(projections, "withdrawals")
    query = select(tbl).order_by(tbl.c.id.desc()).limit(limit + 1)
    for column, value in (("account_id", account_id), ("status", status), ("branch_id", branch_id)):
        if value is not None:
            query = query.where(tbl.c[column] == value)
    if after is not None:
        query = query.where(tbl.c.id < after)
    return [dict(row) for row in conn.execute(query).mappings()]


def case_account(conn: Connection, projections: Projections, case_id: str) -> str | None:
    row = _row(conn, projections, "case_accounts", "case_id", case_id)
    return None if row is None else row["account_id"]


def rule_version_row(conn: Connection, projections: Projections, version: str) -> dict | None:
    return _row(conn, projections, "rule_versions", "version", version)


def rule_version_rows(conn: Connection, projections: Projections) -> list[dict]:
    """Every proposed version, oldest proposal first."""
    tbl = table(projections, "rule_versions")
    query = select(tbl).order_by(tbl.c.proposed_at, tbl.c.version)
    return [dict(row) for row in conn.execute(query).mappings()]
