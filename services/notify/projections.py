"""Read models: the contact book, notifications (with their delivery schedule) and campaigns."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    update,
)

from services.notify.domain import is_student
from services.notify.notification_projection import notification_appliers, occurred_at
from shared.projections import Projections


def make_projections() -> Projections:
    projections = Projections()
    tables = define_tables(projections)
    contact_appliers(projections, tables["notify_contacts"])
    notification_appliers(projections, tables)
    campaign_appliers(projections, tables)
    return projections


def define_tables(projections: Projections) -> dict[str, Table]:
    meta = projections.metadata
    Table(
        "notify_contacts",
        meta,
        Column("customer_id", String(64), primary_key=True),
        Column("name", String(200)),
        Column("phone", String(40)),
        Column("email", String(320)),
        Column("preferred_language", String(10)),
        Column("birth_date", String(10), index=True),
        Column("occupation", String(100)),
        Column("is_student", Boolean, nullable=False),
        Column("education_opt_out", Boolean, nullable=False),
        Column("channels", JSON),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    notifications = Table(
        "notify_notifications",
        meta,
        Column("id", String(64), primary_key=True),
        Column("position", BigInteger, nullable=False, unique=True),  # newest-first order
        Column("customer_id", String(64), nullable=False, index=True),
        Column("template", String(40), nullable=False),
        Column("category", String(20), nullable=False),
        Column("channel", String(10)),
        Column("fallbacks", JSON),
        Column("language", String(10)),
        Column("segment", String(20)),
        Column("status", String(20), nullable=False),
        Column("reason", String(40)),
        Column("body", Text),
        Column("parts", JSON),
        Column("source_event_id", String(40), nullable=False),
        Column("source_event_type", String(60), nullable=False),
        Column("campaign_id", String(40)),
        Column("attempts", Integer, nullable=False),
        Column("channel_attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("provider_id", String(200)),
        Column("last_error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Index("ix_notify_notifications_due", notifications.c.status, notifications.c.next_attempt_at)
    Table(
        "notify_withdrawal_facts",
        meta,
        Column("withdrawal_id", String(64), primary_key=True),
        Column("amount", String(20)),
        Column("channel", String(30)),
        Column("purpose", String(40)),
        Column("reasons", JSON),
    )
    Table(
        "notify_campaigns",
        meta,
        Column("id", String(40), primary_key=True),
        Column("template", String(40), nullable=False),
        Column("segment", String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("recipients", Integer, nullable=False),
        Column("requested", Integer, nullable=False),
        Column("suppressed", Integer, nullable=False),
        Column("started_by", String(100)),
        Column("source_event_id", String(40), nullable=False),
        Column("correlation_id", String(100)),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("completed_at", DateTime(timezone=True)),
    )
    Table(
        "notify_campaign_recipients",
        meta,
        Column("campaign_id", String(40), primary_key=True),
        Column("customer_id", String(64), primary_key=True),
        Column("outcome", String(20), index=True),
    )
    return dict(meta.tables)


def contact_appliers(projections: Projections, contacts: Table) -> None:
    @projections.on("ContactDetailsRecorded")
    def details_recorded(conn, event):
        data = event.data
        values = {
            "name": data["name"],
            "phone": data["phone"],
            "email": data["email"],
            "preferred_language": data["preferred_language"],
            "birth_date": data["birth_date"],
            "occupation": data["occupation"],
            "is_student": is_student(data["occupation"]),
            "updated_at": occurred_at(event),
        }
        key = contacts.c.customer_id == data["customer_id"]
        if conn.execute(update(contacts).where(key).values(**values)).rowcount == 0:
            conn.execute(
                insert(contacts).values(
                    customer_id=data["customer_id"],
                    education_opt_out=False,
                    channels=None,
                    **values,
                )
            )

    @projections.on("ContactPreferencesChanged")
    def preferences_changed(conn, event):
        data = event.data
        conn.execute(
            update(contacts)
            .where(contacts.c.customer_id == data["customer_id"])
            .values(
                education_opt_out=data["education_opt_out"],
                channels=data["channels"],
                updated_at=occurred_at(event),
            )
        )


def campaign_appliers(projections: Projections, tables: dict[str, Table]) -> None:
    campaigns = tables["notify_campaigns"]
    recipients = tables["notify_campaign_recipients"]

    @projections.on("CampaignStarted")
    def started(conn, event):
        data = event.data
        conn.execute(
            insert(campaigns).values(
                id=data["campaign_id"],
                template=data["template"],
                segment=data["segment"],
                status="running",
                recipients=len(data["recipients"]),
                requested=0,
                suppressed=0,
                started_by=event.metadata["actor"]["sub"],
                source_event_id=event.event_id,
                correlation_id=event.metadata.get("correlation_id"),
                started_at=occurred_at(event),
            )
        )
        rows = [
            {"campaign_id": data["campaign_id"], "customer_id": customer_id, "outcome": None}
            for customer_id in data["recipients"]
        ]
        if rows:
            conn.execute(insert(recipients), rows)

    @projections.on("CampaignCompleted")
    def completed(conn, event):
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == event.data["campaign_id"])
            .values(status="completed", completed_at=occurred_at(event))
        )

    @projections.on("NotificationRequested", "NotificationSuppressed")
    def fanned_out(conn, event):
        data = event.data
        campaign_id = data.get("campaign_id")
        if not campaign_id or event.version != 1:
            return
        outcome = "requested" if event.type == "NotificationRequested" else "suppressed"
        conn.execute(
            update(recipients)
            .where(
                recipients.c.campaign_id == campaign_id,
                recipients.c.customer_id == data["customer_id"],
            )
            .values(outcome=outcome)
        )
        counter = campaigns.c[outcome]
        conn.execute(
            update(campaigns).where(campaigns.c.id == campaign_id).values({outcome: counter + 1})
        )
