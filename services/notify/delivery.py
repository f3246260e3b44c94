"""What follows a failed send, pure: retry later with backoff and jitter, or fall back."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notify.domain import first_allowed
from services.notify.notification import Notification
from services.notify.rules import Rules

# A source of numbers in [0, 1): random.random in production, a fixed value in tests.
Jitter = Callable[[], float]


@dataclass(frozen=True)
class NextStep:
    next_attempt_at: datetime | None
    fallback_channel: str | None


def backoff_seconds(channel_attempt: int, rules: Rules, jitter: Jitter) -> float:
    """Exponential backoff with 'equal jitter': half the delay fixed, half random.

    Capped at backoff_max_seconds, so many notifications failing together spread out
    instead of hammering a recovering provider in lockstep.
    """
    ceiling = rules.backoff_base_seconds * rules.backoff_factor ** (channel_attempt - 1)
    delay = min(ceiling, rules.backoff_max_seconds)
    return delay / 2 + delay / 2 * jitter()


def next_step(
    state: Notification,
    permanent: bool,
    now: datetime,
    rules: Rules,
    jitter: Jitter,
    enabled: Sequence[str],
) -> NextStep:
    """Retry the same channel while attempts remain; otherwise the next enabled channel."""
    channel_attempt = state.channel_attempts + 1
    if not permanent and channel_attempt < rules.max_attempts_per_channel:
        later = now + timedelta(seconds=backoff_seconds(channel_attempt, rules, jitter))
        return NextStep(_allowed(later, state, rules), None)
    for fallback in state.fallbacks:
        if fallback in enabled:
            return NextStep(_allowed(now, state, rules), fallback)
    return NextStep(None, None)


def _allowed(moment: datetime, state: Notification, rules: Rules) -> datetime:
    return first_allowed(moment, state.category, rules.timezone, rules.quiet_start, rules.quiet_end)
