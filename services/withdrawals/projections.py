"""Read models of this service's own log: account and customer views, appointments, withdrawals."""

from sqlalchemy import JSON, BigInteger, Column, Connection, Index, String, Table, insert, update

from services.withdrawals.rule_version_projection import add_rule_versions
from shared.envelope import StoredEvent
from shared.money import to_fen
from shared.projections import Projections

DECISION_EVENTS = ("WithdrawalApproved", "WithdrawalHeld", "WithdrawalRejected")
TRANSITIONS = {
    "WithdrawalReleased": "released",
    "WithdrawalBlocked": "blocked",
    "WithdrawalCancelled": "cancelled",
    "WithdrawalPaidOut": "paid_out",
}
ACCOUNT_COLUMNS = ("customer_id", "branch_id", "status", "risk_tier", "verification_method")
ACCOUNT_COLUMNS += ("restrictions", "opened_at", "open_case_ids")
CUSTOMER_COLUMNS = ("birth_date", "occupation", "name_initial", "id_number_masked")
CUSTOMER_COLUMNS += ("preferred_language",)


def _tables(projections: Projections) -> dict[str, Table]:
    meta = projections.metadata
    ids, short, stamp = String(64), String(40), String(40)
    return {
        "accounts": Table(
            "wd_account_views",
            meta,
            Column("account_id", ids, primary_key=True),
            Column("customer_id", ids),
            Column("branch_id", ids),
            Column("status", short),
            Column("risk_tier", short),
            Column("per_transaction_limit", BigInteger),
            Column("daily_limit", BigInteger),
            Column("verification_method", short),
            Column("restrictions", JSON, nullable=False),
            Column("opened_at", stamp),
            Column("open_case_ids", JSON, nullable=False),
        ),
        "case_accounts": Table(
            "wd_case_accounts",
            meta,
            Column("case_id", ids, primary_key=True),
            Column("account_id", ids, nullable=False),
        ),
        "customers": Table(
            "wd_customer_views",
            meta,
            Column("customer_id", ids, primary_key=True),
            Column("birth_date", String(10)),
            Column("occupation", String(100)),
            Column("name_initial", String(20)),
            Column("id_number_masked", String(64)),
            Column("preferred_language", String(10)),
        ),
        "appointments": Table(
            "wd_appointments",
            meta,
            Column("id", ids, primary_key=True),
            Column("account_id", ids, nullable=False),
            Column("amount", BigInteger, nullable=False),
            Column("currency", String(3), nullable=False),
            Column("date", String(10), nullable=False),
            Column("branch_id", ids, nullable=False),
            Column("purpose", short, nullable=False),
            Column("source_of_funds", String(500), nullable=False),
            Column("status", short, nullable=False),
            Column("withdrawal_id", ids),
            Column("cancellation_reason", String(500)),
            Column("booked_at", stamp, nullable=False),
            Column("updated_at", stamp, nullable=False),
        ),
        "withdrawals": Table(
            "wd_withdrawals",
            meta,
            Column("id", ids, primary_key=True),
            Column("account_id", ids, nullable=False),
            Column("customer_id", ids),
            Column("amount", BigInteger, nullable=False),
            Column("currency", String(3), nullable=False),
            Column("channel", short, nullable=False),
            Column("purpose", short, nullable=False),
            Column("payee", JSON),
            Column("appointment_id", ids),
            Column("branch_id", ids, nullable=False),
            Column("status", short, nullable=False),
            Column("reasons", JSON, nullable=False),
            Column("decision", JSON, nullable=False),
            Column("case_id", ids),
            Column("requested_at", stamp, nullable=False),
            Column("business_date", String(10), nullable=False),
            Column("updated_at", stamp, nullable=False),
            Index("ix_wd_withdrawals_account_requested", "account_id", "requested_at"),
            Index("ix_wd_withdrawals_branch", "branch_id", "id"),
        ),
    }


def _upsert(conn: Connection, table: Table, key: str, value: str, values: dict, new: dict) -> None:
    """Update the row, or insert it with `new` defaults; appends are serialised, so no race."""
    if values:
        changed = conn.execute(update(table).where(table.c[key] == value).values(**values))
        if changed.rowcount:
            return
    elif conn.execute(table.select().where(table.c[key] == value)).first() is not None:
        return
    conn.execute(insert(table).values(**{key: value, **new, **values}))


def _at(event: StoredEvent) -> str:
    return event.metadata["occurred_at"]


def make_projections() -> Projections:
    projections = Projections()
    add_rule_versions(projections)
    tables = _tables(projections)
    accounts, customers = tables["accounts"], tables["customers"]
    case_accounts = tables["case_accounts"]
    appointments, withdrawals = tables["appointments"], tables["withdrawals"]

    @projections.on("AccountFactsRecorded")
    def account_facts(conn, event):
        facts, account_id = event.data["facts"], event.data["account_id"]
        values = {k: facts[k] for k in ACCOUNT_COLUMNS if k in facts}
        if "limits" in facts:
            limits = facts["limits"] or {}
            values["per_transaction_limit"] = _fen(limits.get("per_transaction"))
            values["daily_limit"] = _fen(limits.get("daily"))
        empty = {"restrictions": [], "open_case_ids": []}
        _upsert(conn, accounts, "account_id", account_id, values, empty)
        for case_id in facts.get("open_case_ids", ()):
            _upsert(conn, case_accounts, "case_id", case_id, {}, {"account_id": account_id})

    @projections.on("CustomerFactsRecorded")
    def customer_facts(conn, event):
        facts = event.data["facts"]
        values = {k: facts[k] for k in CUSTOMER_COLUMNS if k in facts}
        _upsert(conn, customers, "customer_id", event.data["customer_id"], values, {})

    @projections.on("AppointmentBooked")
    def booked(conn, event):
        data = event.data
        conn.execute(
            insert(appointments).values(
                id=data["appointment_id"],
                **{k: data[k] for k in ("account_id", "currency", "date", "branch_id")},
                **{k: data[k] for k in ("purpose", "source_of_funds")},
                amount=to_fen(data["amount"]),
                status="booked",
                booked_at=_at(event),
                updated_at=_at(event),
            )
        )

    @projections.on("AppointmentUsed", "AppointmentCancelled")
    def appointment_changed(conn, event):
        data = event.data
        values = {"updated_at": _at(event)}
        if event.type == "AppointmentUsed":
            values.update(status="used", withdrawal_id=data["withdrawal_id"])
        else:
            values.update(status="cancelled", cancellation_reason=data["reason"])
        conn.execute(
            update(appointments).where(appointments.c.id == data["appointment_id"]).values(values)
        )

    insert_withdrawal = insert(withdrawals)  # built once: one per request

    @projections.on(*DECISION_EVENTS)
    def decided(conn, event):
        data = event.data
        copied = ("account_id", "customer_id", "currency", "channel", "purpose", "payee")
        copied += ("appointment_id", "branch_id", "status", "reasons", "decision")
        conn.execute(
            insert_withdrawal,
            {
                "id": data["withdrawal_id"],
                **{k: data[k] for k in copied},
                "amount": to_fen(data["amount"]),
                "requested_at": _at(event),
                "business_date": data["decision"]["inputs"]["business_date"],
                "updated_at": _at(event),
            },
        )

    @projections.on("WithdrawalCaseLinked")
    def case_linked(conn, event):
        where = withdrawals.c.id == event.data["withdrawal_id"]
        conn.execute(update(withdrawals).where(where).values(case_id=event.data["case_id"]))

    @projections.on(*TRANSITIONS)
    def moved(conn, event):
        values = {"status": TRANSITIONS[event.type], "updated_at": _at(event)}
        if event.data.get("case_id"):
            values["case_id"] = event.data["case_id"]
        where = withdrawals.c.id == event.data["withdrawal_id"]
        conn.execute(update(withdrawals).where(where).values(values))

    return projections


def _fen(amount: str | None) -> int | None:
    return None if amount is None else to_fen(amount)
