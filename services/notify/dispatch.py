"""One delivery attempt: pick what is due, send outside any transaction, record the outcome."""

import logging
from datetime import datetime

from sqlalchemy import Engine, and_, select

from services.notify.application import NotifyRuntime, find_contact
from services.notify.channels import Channel, Message, SendFailed
from services.notify.delivery import next_step
from services.notify.domain import EDUCATION, quiet_until
from services.notify.notification import DUE, NOTIFICATION, decide_outcome
from shared import eventstore
from shared.application import execute
from shared.db import read_transaction
from shared.envelope import SYSTEM_ACTOR, Context, NewEvent, iso
from shared.masking import mask_email, mask_phone

log = logging.getLogger(__name__)


def due_notifications(engine: Engine, runtime: NotifyRuntime, now: datetime) -> list[str]:
    """Oldest due first; during quiet hours only security notices are due."""
    notifications = runtime.table("notify_notifications")
    rules = runtime.rules
    condition = and_(
        notifications.c.status.in_(sorted(DUE)), notifications.c.next_attempt_at <= now
    )
    if quiet_until(now, rules.timezone, rules.quiet_start, rules.quiet_end):
        condition = and_(condition, notifications.c.category != EDUCATION)
    query = (
        select(notifications.c.id)
        .where(condition)
        .order_by(notifications.c.next_attempt_at, notifications.c.position)
        .limit(rules.batch_size)
    )
    with read_transaction(engine) as conn:
        return [row.id for row in conn.execute(query)]


def deliver(engine, runtime: NotifyRuntime, channels, notification_id: str, now, jitter) -> None:
    """One attempt: send outside any transaction, then record what happened as events."""
    with read_transaction(engine) as conn:
        history = eventstore.read_stream(conn, notification_id)
        state = NOTIFICATION.fold(history)
        contact = find_contact(conn, runtime, state.customer_id)
    if state.status not in DUE:
        return
    request = history[0].data
    context = Context(
        actor=SYSTEM_ACTOR,
        occurred_at=now,
        correlation_id=history[0].metadata.get("correlation_id") or notification_id,
        causation_id=history[-1].event_id,
    )
    events = attempt(runtime, channels, state, request, contact, now, jitter)
    execute(
        engine,
        NOTIFICATION,
        notification_id,
        lambda current: decide_outcome(current, state.attempts, events),
        context,
        runtime.projections,
    )


def attempt(runtime, channels, state, request: dict, contact, now, jitter) -> list[NewEvent]:
    rules = runtime.rules
    if state.category == EDUCATION and contact is not None and contact.education_opt_out:
        return [NewEvent("NotificationSuppressed", {**request, "reason": "opted_out"})]
    attempt_number = state.attempts + 1
    try:
        channel = _enabled(channels, rules, state.channel)
        message = _message(request, state, contact)
        accepted = send(channel, message, rules.send_timeout_seconds)
    except SendFailed as failure:
        step = next_step(state, failure.permanent, now, rules, jitter, rules.enabled_channels)
        remaining = state.fallbacks
        if step.fallback_channel:
            remaining = remaining[remaining.index(step.fallback_channel) + 1 :]
        data = {
            "notification_id": request["notification_id"],
            "channel": state.channel,
            "attempt": attempt_number,
            "channel_attempt": state.channel_attempts + 1,
            "error": failure.error[:500],
            "permanent": failure.permanent,
            "next_attempt_at": iso(step.next_attempt_at) if step.next_attempt_at else None,
            "fallback_channel": step.fallback_channel,
            "fallbacks": list(remaining),
        }
        return [NewEvent("NotificationFailed", data)]
    sent = {
        "notification_id": request["notification_id"],
        "channel": state.channel,
        "attempt": attempt_number,
        "provider_id": accepted.provider_id,
        "to": _masked(state.channel, message.to),
    }
    events = [NewEvent("NotificationSent", sent)]
    if accepted.delivered:
        delivered = {k: sent[k] for k in ("notification_id", "channel", "provider_id")}
        events.append(NewEvent("NotificationDelivered", delivered))
    return events


def send(channel: Channel, message: Message, timeout: float):
    """A channel that breaks in an unforeseen way is a temporary failure, not a stuck message."""
    try:
        return channel.send(message, timeout)
    except SendFailed:
        raise
    except Exception as exc:
        log.exception("channel %s raised unexpectedly", message.channel)
        raise SendFailed(f"{message.channel} channel error: {type(exc).__name__}") from exc


def _enabled(channels, rules, name: str) -> Channel:
    if name not in rules.enabled_channels or name not in channels:
        raise SendFailed(f"channel {name} is not enabled", permanent=True)
    return channels[name]


def _message(request: dict, state, contact) -> Message:
    to = _address(state.channel, state.customer_id, contact)
    if not to:
        raise SendFailed(f"no {state.channel} address for the customer", permanent=True)
    return Message(
        notification_id=request["notification_id"],
        customer_id=state.customer_id,
        channel=state.channel,
        to=to,
        subject=request["subject"],
        body=request["body"],
        parts=request["parts"],
        language=request["language"],
    )


def _address(channel: str, customer_id: str, contact) -> str | None:
    if channel == "sms":
        return contact.phone if contact else None
    if channel == "email":
        return contact.email if contact else None
    return customer_id  # push goes to the customer's app; the log names the customer


def _masked(channel: str, to: str) -> str:
    if channel == "sms":
        return mask_phone(to)
    if channel == "email":
        return mask_email(to)
    return to
