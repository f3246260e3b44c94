"""The read model of rules versions: one row each, and the query screening asks per request."""

from functools import cache

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Index,
    Select,
    String,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)

from shared.envelope import StoredEvent, iso
from shared.projections import Projections


def add_rule_versions(projections: Projections) -> Table:
    """Register the table and its appliers on the service's projections; return the table."""
    versions = Table(
        "wd_rule_versions",
        projections.metadata,
        Column("version", String(40), primary_key=True),
        Column("status", String(20), nullable=False),
        Column("config", JSON, nullable=False),
        Column("reason", String(500), nullable=False),
        Column("proposed_by", String(100), nullable=False),
        Column("proposed_at", String(40), nullable=False),
        Column("reviewed_by", String(100)),
        Column("reviewed_at", String(40)),
        Column("review_reason", String(500)),
        Column("activates_at", String(40)),
        # The approval's log position: of two versions taking effect at one moment, the later
        # approval wins.
        Column("approved_position", BigInteger),
        Column("activated_at", String(40)),  # recorded by the timer once it took effect
        Column("replaced", String(40)),
        Index("ix_wd_rule_versions_active", "status", "activates_at", "approved_position"),
    )

    def at(event: StoredEvent) -> str:
        return event.metadata["occurred_at"]

    @projections.on("RulesVersionProposed")
    def proposed(conn: Connection, event: StoredEvent) -> None:
        data = event.data
        conn.execute(
            insert(versions).values(
                version=data["version"],
                status="proposed",
                config=data["config"],
                reason=data["reason"],
                proposed_by=data["proposed_by"],
                proposed_at=at(event),
            )
        )

    @projections.on("RulesVersionApproved", "RulesVersionRejected")
    def reviewed(conn: Connection, event: StoredEvent) -> None:
        data = event.data
        approved = event.type == "RulesVersionApproved"
        values = {
            "status": "approved" if approved else "rejected",
            "reviewed_by": data["approved_by"] if approved else data["rejected_by"],
            "reviewed_at": at(event),
            "review_reason": data["reason"],
        }
        if approved:
            values.update(activates_at=data["activates_at"], approved_position=event.position)
        conn.execute(update(versions).where(versions.c.version == data["version"]).values(values))

    @projections.on("RulesVersionActivated")
    def activated(conn: Connection, event: StoredEvent) -> None:
        data = event.data
        values = {"activated_at": data["activated_at"], "replaced": data["replaced"]}
        conn.execute(update(versions).where(versions.c.version == data["version"]).values(values))

    return versions


def due_activations(conn: Connection, versions: Table, now) -> list[tuple[str, str, int]]:
    """Approved versions whose moment has come and whose taking effect is not recorded yet:
    (version, activates_at, approved_position), in the order they took effect."""
    query = (
        select(versions.c.version, versions.c.activates_at, versions.c.approved_position)
        .where(versions.c.status == "approved", versions.c.activated_at.is_(None))
        .where(versions.c.activates_at <= iso(now))
        .order_by(versions.c.activates_at, versions.c.approved_position)
    )
    return [tuple(row) for row in conn.execute(query)]


def in_force_before(conn: Connection, versions: Table, activates_at: str, position: int):
    """The approved version in force just before the one approved at `position` took effect at
    `activates_at` (of two at one moment, the later approval wins); None: the seed."""
    earlier = or_(
        versions.c.activates_at < activates_at,
        and_(versions.c.activates_at == activates_at, versions.c.approved_position < position),
    )
    row = conn.execute(
        select(versions.c.version)
        .where(versions.c.status == "approved", earlier)
        .order_by(versions.c.activates_at.desc(), versions.c.approved_position.desc())
        .limit(1)
    ).first()
    return None if row is None else row.version


def active_version(conn: Connection, versions: Table, now) -> tuple[str, dict] | None:
    """The approved version in effect at `now` (iso strings sort as the times they name)."""
    row = conn.execute(_active(versions), {"now": iso(now)}).first()
    return None if row is None else (row.version, row.config)


@cache
def _active(versions: Table) -> Select:
    """Built once per table: screening asks on every request."""
    return (
        select(versions.c.version, versions.c.config)
        .where(versions.c.status == "approved", versions.c.activates_at <= bindparam("now"))
        .order_by(versions.c.activates_at.desc(), versions.c.approved_position.desc())
        .limit(1)
    )
