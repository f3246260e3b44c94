"""Read models of cases and verification requests, kept by one small applier per event type."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)

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
    # The console's queues page by (due, id) within a queue or an assignee; search by withdrawal.
    Index("ix_cases_queue_due", "queue", "status", "sla_due_at", "id"),
    Index("ix_cases_assignee_due", "assignee", "sla_due_at", "id"),
    Index("ix_cases_withdrawal", "withdrawal_id"),
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
    # The portal's list: one unit's requests, pending first, newest first.
    Index("ix_case_verifications_unit", "police_unit", "status", "position"),
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


@projections.on(
    "CaseNoteAdded",
    "CustomerContactRecorded",
    "AccountRestrictionRequested",
    "RestrictionRefusalRecorded",
)
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


# The dashboard's read model: one narrow row per case, where it stands and its clock, and for
# a held withdrawal why it was held and when and how the police first answered. Each index
# covers one figure of services.cases.statistics, so those aggregate in SQL over index entries
# instead of scanning the wide `cases` rows (their JSON details) on every page view.
statistics = Table(
    "case_statistics",
    metadata,
    Column("case_id", String(80), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("queue", String(20), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("sla_due_at", String(32), nullable=False),
    Column("resolved_at", String(32)),
    Column("held_at", String(32)),  # the hold's own occurred_at; None for other case types
    Column("hold_reasons", Text),  # sorted and comma-joined, so SQL can group by it
    Column("confirmed_at", String(32)),  # the first police answer
    Column("police_outcome", String(40)),
    Column("seconds_to_confirmation", Float),
    Index("ix_case_statistics_open", "status", "queue", "opened_at"),
    Index("ix_case_statistics_resolved", "resolved_at", "sla_due_at"),
    Index("ix_case_statistics_held", "held_at", "hold_reasons"),
    Index("ix_case_statistics_confirmed", "confirmed_at", "seconds_to_confirmation"),
    Index("ix_case_statistics_outcome", "police_outcome", "confirmed_at"),
)
REASON_SEPARATOR = ","
# Events that only move a case, as the `cases` appliers above move it.
STATISTICS_MOVES = {
    "PoliceVerificationRequested": {"status": "awaiting_police"},
    "CaseEscalated": {"queue": "supervisors"},
    "CaseSlaBreached": {"queue": "supervisors"},
    "CaseClosed": {"status": "closed"},
}


def _set_statistics(conn: Connection, event: StoredEvent, *conditions, **values) -> None:
    conn.execute(
        update(statistics)
        .where(statistics.c.case_id == event.stream_id, *conditions)
        .values(**values)
    )


@projections.on("CaseOpened")
def _counted(conn: Connection, event: StoredEvent) -> None:
    conn.execute(
        statistics.insert().values(
            case_id=event.stream_id,
            status="open",
            queue="investigators",
            opened_at=_at(event),
            sla_due_at=event.data["sla_due_at"],
        )
    )


@projections.on("CaseFactsRecorded")
def _held(conn: Connection, event: StoredEvent) -> None:
    """A case opened by a WithdrawalHeld (police_verification) is a hold, from its moment."""
    source = event.data.get("source") or {}
    if source.get("event_type") != "WithdrawalHeld":
        return
    reasons = sorted(set(event.data["details"].get("reasons") or []))
    held_at = source.get("occurred_at") or event.data["sla"]["started_at"]
    _set_statistics(conn, event, held_at=held_at, hold_reasons=REASON_SEPARATOR.join(reasons))


@projections.on("CaseAssigned")
def _taken(conn: Connection, event: StoredEvent) -> None:
    _set_statistics(conn, event, statistics.c.status == "open", status="in_progress")


@projections.on(*STATISTICS_MOVES)
def _moved(conn: Connection, event: StoredEvent) -> None:
    _set_statistics(conn, event, **STATISTICS_MOVES[event.type])


@projections.on("PoliceVerificationConfirmed")
def _answered(conn: Connection, event: StoredEvent) -> None:
    """The first answer ends the hold; one after a reopening does not move it."""
    held_at = conn.execute(
        select(statistics.c.held_at).where(
            statistics.c.case_id == event.stream_id, statistics.c.confirmed_at.is_(None)
        )
    ).scalar_one_or_none()
    if held_at is None:
        return
    waited = datetime.fromisoformat(_at(event)) - datetime.fromisoformat(held_at)
    _set_statistics(
        conn,
        event,
        confirmed_at=_at(event),
        police_outcome=event.data["outcome"],
        seconds_to_confirmation=waited.total_seconds(),
    )


@projections.on("CaseResolved")
def _settled(conn: Connection, event: StoredEvent) -> None:
    _set_statistics(conn, event, status="resolved", resolved_at=_at(event))


@projections.on("CaseReopened")
def _unsettled(conn: Connection, event: StoredEvent) -> None:
    _set_statistics(conn, event, status="in_progress", resolved_at=None)
