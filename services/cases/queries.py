"""Reads of the cases service, for the API and later the console and portal; no request needed."""

from sqlalchemy import Connection, Engine, case, select

from services.cases.projections import cases, verifications
from services.cases.timeline import timeline
from shared import eventstore
from shared.db import read_transaction
from shared.web.pagination import page

CASE_FILTERS = {
    "status": cases.c.status,
    "type": cases.c.case_type,
    "assignee": cases.c.assignee,
    "sla": cases.c.sla_state,
    "queue": cases.c.queue,
}


def case_json(row, requests: list) -> dict:
    """A case as DOMAIN §7 shows it to the bank's staff (customer data already masked)."""
    resolution = None
    if row["outcome"] is not None:
        resolution = {
            "outcome": row["outcome"],
            "reason": row["resolution_reason"],
            "resolved_by": row["resolved_by"],
            "resolved_at": row["resolved_at"],
        }
    return {
        "id": row["id"],
        "case_type": row["case_type"],
        "status": row["status"],
        "account_id": row["account_id"],
        "customer_id": row["customer_id"],
        "withdrawal_id": row["withdrawal_id"],
        "source_event_id": row["source_event_id"],
        "summary": row["summary"],
        "details": row["details"],
        "assignee": row["assignee"],
        "queue": row["queue"],
        "sla_state": row["sla_state"],
        "sla_warning_at": row["sla_warning_at"],
        "sla_due_at": row["sla_due_at"],
        "rules_version": row["rules_version"],
        "opened_at": row["opened_at"],
        "updated_at": row["updated_at"],
        "resolution": resolution,
        "verification_requests": [
            {
                "id": r["id"],
                "police_unit": r["police_unit"],
                "status": r["status"],
                "outcome": r["outcome"],
                "summary": r["summary"],
                "requested_by": r["requested_by"],
                "requested_at": r["requested_at"],
            }
            for r in requests
        ],
    }


def _requests_by_case(conn: Connection, case_ids: list[str]) -> dict[str, list]:
    grouped: dict[str, list] = {case_id: [] for case_id in case_ids}
    if case_ids:
        query = (
            select(verifications)
            .where(verifications.c.case_id.in_(case_ids))
            .order_by(verifications.c.position)
        )
        for row in conn.execute(query).mappings():
            grouped[row["case_id"]].append(row)
    return grouped


def find_case(conn: Connection, case_id: str) -> dict | None:
    row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
    if row is None:
        return None
    return case_json(row, _requests_by_case(conn, [case_id])[case_id])


def case_correlation(conn: Connection, case_id: str) -> str | None:
    query = select(cases.c.correlation_id).where(cases.c.id == case_id)
    return conn.execute(query).scalar_one_or_none()


def get_case(engine: Engine, case_id: str) -> dict | None:
    """The case with its timeline, told from its own events; None if there is no such case."""
    with read_transaction(engine) as conn:
        found = find_case(conn, case_id)
        if found is None:
            return None
        found["timeline"] = timeline(eventstore.read_stream(conn, case_id))
    return found


def list_cases(engine: Engine, filters: dict, limit: int, after: list | None) -> dict:
    """Newest first; `filters` uses the query names (status, type, assignee, sla, queue, unit)."""
    query = select(cases).order_by(cases.c.position.desc()).limit(limit + 1)
    for name, column in CASE_FILTERS.items():
        if filters.get(name) is not None:
            query = query.where(column == filters[name])
    if filters.get("police_unit") is not None:
        addressed = select(verifications.c.case_id).where(
            verifications.c.police_unit == filters["police_unit"]
        )
        query = query.where(cases.c.id.in_(addressed))
    if after is not None:
        query = query.where(cases.c.position < after[0])
    with read_transaction(engine) as conn:
        rows = list(conn.execute(query).mappings())
        requests = _requests_by_case(conn, [row["id"] for row in rows[:limit]])
    listed = page(rows, limit, lambda row: [row["position"]])
    listed["items"] = [case_json(row, requests[row["id"]]) for row in listed["items"]]
    return listed


def police_json(row) -> dict:
    """What a liaison sees: enough to verify, nothing to identify beyond it (DOMAIN §7)."""
    details = row["details"] or {}
    customer = details.get("customer") or {}
    confirmation = None
    if row["status"] == "confirmed":
        confirmation = {
            "police_reference": row["police_reference"],
            "officer": row["officer"],
            "notes": row["notes"],
            "confirmed_by": row["confirmed_by"],
            "confirmed_at": row["confirmed_at"],
        }
    return {
        "id": row["id"],
        "case_id": row["case_id"],
        "police_unit": row["police_unit"],
        "status": row["status"],
        "outcome": row["outcome"],
        "requested_at": row["requested_at"],
        "summary": row["summary"],
        "customer": {
            "name_initial": customer.get("name_initial"),
            "id_number_masked": customer.get("id_number_masked"),
            "age": customer.get("age"),
        },
        "amount": details.get("amount"),
        "currency": details.get("currency"),
        "reasons": details.get("reasons") or [],
        "confirmation": confirmation,
    }


def _police_query(police_unit: str | None):
    """One unit's requests; every unit's for None (an auditor reads them all)."""
    query = select(verifications, cases.c.details).join(
        cases, cases.c.id == verifications.c.case_id
    )
    if police_unit is None:
        return query
    return query.where(verifications.c.police_unit == police_unit)


def police_verifications(
    conn: Connection, police_unit: str | None, status: str | None, limit: int, after: list | None
) -> dict:
    """One unit's verification requests, newest first; never another unit's."""
    query = _police_query(police_unit).order_by(verifications.c.position.desc()).limit(limit + 1)
    if status is not None:
        query = query.where(verifications.c.status == status)
    if after is not None:
        query = query.where(verifications.c.position < after[0])
    listed = page(list(conn.execute(query).mappings()), limit, lambda row: [row["position"]])
    listed["items"] = [police_json(row) for row in listed["items"]]
    return listed


def police_worklist(conn: Connection, police_unit: str, limit: int, after: list | None) -> dict:
    """One unit's requests for the portal: pending ones first, then the rest, newest first."""
    answered = case((verifications.c.status == "pending", 0), else_=1)
    query = _police_query(police_unit).add_columns(answered.label("answered"))
    query = query.order_by(answered, verifications.c.position.desc()).limit(limit + 1)
    if after is not None:
        rank, position = after
        query = query.where(
            (answered > rank) | ((answered == rank) & (verifications.c.position < position))
        )
    rows = list(conn.execute(query).mappings())
    listed = page(rows, limit, lambda row: [row["answered"], row["position"]])
    listed["items"] = [police_json(row) for row in listed["items"]]
    return listed


def police_verification(
    conn: Connection, police_unit: str | None, verification_id: str
) -> dict | None:
    query = _police_query(police_unit).where(verifications.c.id == verification_id)
    row = conn.execute(query).mappings().first()
    return police_json(row) if row else None


def verification_case_id(conn: Connection, police_unit: str, verification_id: str) -> str | None:
    query = select(verifications.c.case_id).where(
        verifications.c.id == verification_id, verifications.c.police_unit == police_unit
    )
    return conn.execute(query).scalar_one_or_none()


def get_police_verification(engine: Engine, police_unit: str, verification_id: str) -> dict | None:
    """The liaison's view without recording it: for answers to their own confirmation."""
    with read_transaction(engine) as conn:
        return police_verification(conn, police_unit, verification_id)
