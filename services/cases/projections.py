"""Read models of cases and verification requests, kept by one small applier per event type."""

from sqlalchemy import JSON, BigInteger, Column, Connection, MetaData, String, Table, Text, update

from shared.envelope import StoredEvent
from shared.projections import Projections

metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("position", BigInteger, nullable=False, unique=True),  # of CaseOpened: list order
    Column("case_type", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("account_id", String(80), nullable=False, index=True),
    Column("customer_id", String(80)),
    Column("withdrawal_id", String(80)),
    Column("source_event_id", String(80)),
    Column("summary", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("assignee", String(100), index=True),
    Column("queue", String(20), nullable=False),
    Column("sla_state", String(20), nullable=False),
    Column("sla_warning_at", String(32)),  # RFC 3339 UTC, fixed width: compares as text
    Column("sla_due_at", String(32), nullable=False),
    Column("rules_version", String(40)),
    Column("opened_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("outcome", String(40)),
    Column("resolution_reason", Text),
    Column("resolved_by", String(100)),
    Column("resolved_at", String(32)),
    Column("correlation_id", String(80)),
)

verifications = Table(
    "case_verifications",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("case_id", String(80), nullable=False, index=True),
    Column("police_unit", String(64), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("outcome", String(40)),
    Column("summary", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("police_reference", String(100)),
    Column("officer", String(100)),
    Column("notes", Text),
    Column("confirmed_by", String(100)),
    Column("confirmed_at", String(32)),
)

projections = Projections(metadata=metadata)


def _at(event: StoredEvent) -> str:
    return event.metadata["occurred_at"]


def _touch(conn: Connection, event: StoredEvent, **values) -> None:
    conn.execute(
        update(cases).where(cases.c.id == event.stream_id).values(updated_at=_at(event), **values)
    )


@projections.on("CaseOpened")
def _opened(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    conn.execute(
        cases.insert().values(
            id=event.stream_id,
            position=event.position,
            case_type=data["case_type"],
            status="open",
            account_id=data["account_id"],
            customer_id=data["customer_id"],
            withdrawal_id=data["withdrawal_id"],
            source_event_id=data["source_event_id"],
            summary=data["summary"],
            details={},
            queue="investigators",
            sla_state="ok",
            sla_due_at=data["sla_due_at"],
            opened_at=_at(event),
            updated_at=_at(event),
            correlation_id=event.metadata.get("correlation_id"),
        )
    )


@projections.on("CaseFactsRecorded")
def _facts(conn: Connection, event: StoredEvent) -> None:
    sla = event.data["sla"]
    _touch(
        conn,
        event,
        details=event.data["details"],
        sla_warning_at=sla["warning_at"],
        rules_version=sla["rules_version"],
    )


@projections.on("CaseAssigned")
def _assigned(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event, assignee=event.data["assignee"])
    conn.execute(
        update(cases)
        .where(cases.c.id == event.stream_id, cases.c.status == "open")
        .values(status="in_progress")
    )


@projections.on("CaseNoteAdded", "CustomerContactRecorded", "AccountRestrictionRequested")
def _worked(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event)


@projections.on("PoliceVerificationRequested")
def _requested(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    _touch(conn, event, status="awaiting_police")
    conn.execute(
        verifications.insert().values(
            id=data["verification_id"],
            position=event.position,
            case_id=event.stream_id,
            police_unit=data["police_unit"],
            status="pending",
            summary=data["summary"],
            requested_by=event.metadata["actor"]["sub"],
            requested_at=_at(event),
        )
    )


@projections.on("PoliceVerificationConfirmed")
def _confirmed(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    conn.execute(
        update(verifications)
        .where(verifications.c.id == data["verification_id"])
        .values(
            status="confirmed",
            outcome=data["outcome"],
            police_reference=data["police_reference"],
            officer=data["officer"],
            notes=data["notes"],
            confirmed_by=event.metadata["actor"]["sub"],
            confirmed_at=_at(event),
        )
    )


@projections.on("CaseEscalated")
def _escalated(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event, queue="supervisors")


@projections.on("CaseSlaWarning")
def _warned(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event, sla_state="warning")


@projections.on("CaseSlaBreached")
def _breached(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event, sla_state="breached", queue="supervisors")


@projections.on("CaseResolved")
def _resolved(conn: Connection, event: StoredEvent) -> None:
    data = event.data
    _touch(
        conn,
        event,
        status="resolved",
        outcome=data["outcome"],
        resolution_reason=data["reason"],
        resolved_by=data["resolved_by"],
        resolved_at=_at(event),
    )
    conn.execute(
        update(verifications)
        .where(verifications.c.case_id == event.stream_id, verifications.c.status == "pending")
        .values(status="withdrawn")
    )


@projections.on("CaseClosed")
def _closed(conn: Connection, event: StoredEvent) -> None:
    _touch(conn, event, status="closed")


@projections.on("CaseReopened")
def _reopened(conn: Connection, event: StoredEvent) -> None:
    _touch(
        conn,
        event,
        status="in_progress",
        outcome=None,
        resolution_reason=None,
        resolved_by=None,
        resolved_at=None,
    )
