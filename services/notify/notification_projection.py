"""The notifications read model: one row per notification, its status and delivery schedule."""

from datetime import datetime

from sqlalchemy import Table, insert, select, update

from shared.projections import Projections


def occurred_at(event) -> datetime:
    return datetime.fromisoformat(event.metadata["occurred_at"])


def notification_appliers(projections: Projections, tables: dict[str, Table]) -> None:
    notifications = tables["notify_notifications"]
    facts = tables["notify_withdrawal_facts"]

    def created(event, **values) -> dict:
        data = event.data
        return {
            "id": event.stream_id,
            "position": event.position,
            "customer_id": data["customer_id"],
            "template": data["template"],
            "category": data["category"],
            "source_event_id": data["source_event_id"],
            "source_event_type": data["source_event_type"],
            "campaign_id": data.get("campaign_id"),
            "attempts": 0,
            "channel_attempts": 0,
            "created_at": occurred_at(event),
            "updated_at": occurred_at(event),
            **values,
        }

    def change(conn, event, **values):
        key = notifications.c.id == event.stream_id
        conn.execute(
            update(notifications).where(key).values(updated_at=occurred_at(event), **values)
        )

    def remember_withdrawal(conn, data):
        known = data.get("facts") or {}
        withdrawal_id = known.get("withdrawal_id")
        if data["source_event_type"] != "WithdrawalHeld" or not withdrawal_id:
            return
        if conn.execute(
            select(facts.c.withdrawal_id).where(facts.c.withdrawal_id == withdrawal_id)
        ).first():
            return
        conn.execute(
            insert(facts).values(
                withdrawal_id=withdrawal_id,
                amount=known.get("amount"),
                channel=known.get("channel"),
                purpose=known.get("purpose"),
                reasons=known.get("reasons"),
            )
        )

    @projections.on("NotificationRequested")
    def requested(conn, event):
        data = event.data
        row = created(
            event,
            channel=data["channel"],
            fallbacks=data["fallbacks"],
            language=data["language"],
            segment=data["segment"],
            status="requested",
            body=data["body"],
            parts=data["parts"],
            next_attempt_at=datetime.fromisoformat(data["next_attempt_at"]),
        )
        conn.execute(insert(notifications).values(**row))
        remember_withdrawal(conn, data)

    @projections.on("NotificationSuppressed")
    def suppressed(conn, event):
        data = event.data
        if event.version > 1:  # requested first, suppressed before it went out
            change(conn, event, status="suppressed", reason=data["reason"], next_attempt_at=None)
            return
        row = created(event, status="suppressed", reason=data["reason"], fallbacks=[])
        conn.execute(insert(notifications).values(**row))
        remember_withdrawal(conn, data)

    @projections.on("NotificationSent")
    def sent(conn, event):
        attempts = notifications.c.attempts + 1
        channel_attempts = notifications.c.channel_attempts + 1
        change(
            conn,
            event,
            status="sent",
            attempts=attempts,
            channel_attempts=channel_attempts,
            provider_id=event.data["provider_id"],
            next_attempt_at=None,
        )

    @projections.on("NotificationDelivered")
    def delivered(conn, event):
        change(conn, event, status="delivered")

    @projections.on("NotificationFailed")
    def failed(conn, event):
        data = event.data
        values = {
            "attempts": notifications.c.attempts + 1,
            "last_error": data["error"],
            "next_attempt_at": _moment(data["next_attempt_at"]),
        }
        if data["fallback_channel"]:
            values.update(channel=data["fallback_channel"], channel_attempts=0, status="retrying")
            values["fallbacks"] = data["fallbacks"]
        else:
            values["channel_attempts"] = notifications.c.channel_attempts + 1
            values["status"] = "retrying" if data["next_attempt_at"] else "failed"
        change(conn, event, **values)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
