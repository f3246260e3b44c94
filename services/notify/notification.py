"""The notification aggregate: requested once, then sent, delivered, retried or failed over."""

from dataclasses import dataclass, replace

from shared.aggregate import Aggregate
from shared.envelope import NewEvent

DUE = frozenset({"requested", "retrying"})


@dataclass(frozen=True)
class Notification:
    status: str | None = None
    customer_id: str | None = None
    category: str | None = None
    channel: str | None = None
    fallbacks: tuple[str, ...] = ()
    attempts: int = 0
    channel_attempts: int = 0


def notification_id(source_event_id: str) -> str:
    """One source event, one notification: the id is derived from the event's id."""
    return f"ntf_{source_event_id}"


def evolve(state: Notification, event) -> Notification:
    data = event.data
    if event.type == "NotificationRequested":
        return Notification(
            status="requested",
            customer_id=data["customer_id"],
            category=data["category"],
            channel=data["channel"],
            fallbacks=tuple(data["fallbacks"]),
        )
    if event.type == "NotificationSuppressed":
        return replace(state, status="suppressed", customer_id=data["customer_id"])
    if event.type == "NotificationSent":
        return replace(
            state,
            status="sent",
            attempts=state.attempts + 1,
            channel_attempts=state.channel_attempts + 1,
        )
    if event.type == "NotificationDelivered":
        return replace(state, status="delivered")
    if event.type == "NotificationFailed":
        return _after_failure(state, data)
    return state


def _after_failure(state: Notification, data: dict) -> Notification:
    attempts = state.attempts + 1
    fallback = data["fallback_channel"]
    if fallback:
        return replace(
            state,
            status="retrying",
            channel=fallback,
            fallbacks=tuple(data["fallbacks"]),
            attempts=attempts,
            channel_attempts=0,
        )
    status = "retrying" if data["next_attempt_at"] else "failed"
    return replace(
        state, status=status, attempts=attempts, channel_attempts=state.channel_attempts + 1
    )


def decide_request(state: Notification, event: NewEvent) -> list[NewEvent]:
    """Request or suppress, once: a second delivery of the source event changes nothing."""
    return [] if state.status is not None else [event]


def decide_outcome(state: Notification, attempts_seen: int, events: list[NewEvent]):
    """Record a send's outcome only if nobody recorded one for this attempt meanwhile."""
    if state.status not in DUE or state.attempts != attempts_seen:
        return []
    return events


NOTIFICATION = Aggregate(name="notification", initial=Notification(), evolve=evolve)
