"""The Context a view stamps on the events its command appends: who, when, and in which story."""

from datetime import datetime

from shared.envelope import Context
from shared.web.auth import current_actor
from shared.web.idempotency import pending_key
from shared.web.logging import correlation_id, request_id
from shared.web.state import web_state


def command_context(now: datetime | None = None) -> Context:
    """Caused by the Idempotency-Key when there is one, so retries of a request share a cause."""
    pending = pending_key()
    return Context(
        actor=current_actor().as_actor(),
        occurred_at=now or web_state().clock(),
        correlation_id=correlation_id(),
        causation_id=pending.key if pending else request_id(),
    )
