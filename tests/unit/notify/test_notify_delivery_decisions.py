"""After a failed send: retry with exponential backoff and jitter, then fall back, then give up."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.notify.delivery import backoff_seconds, next_step
from services.notify.notification import NOTIFICATION, Notification, decide_outcome, decide_request
from services.notify.rules import load_rules
from shared.config import Settings
from shared.envelope import NewEvent

RULES = replace(
    load_rules(Settings(service="notify", database_url="sqlite://"), env={}),
    backoff_base_seconds=2.0,
    backoff_factor=3.0,
    backoff_max_seconds=50.0,
    max_attempts_per_channel=3,
)
NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
SMS = Notification(
    status="requested",
    customer_id="c1",
    category="security",
    channel="sms",
    fallbacks=("email", "push", "log"),
)
ENABLED = ("sms", "email", "push", "log")


def test_backoff_grows_exponentially_with_equal_jitter_and_a_cap():
    lowest = [backoff_seconds(n, RULES, lambda: 0.0) for n in (1, 2, 3, 4)]
    highest = [backoff_seconds(n, RULES, lambda: 0.999999) for n in (1, 2, 3, 4)]
    assert lowest == [1.0, 3.0, 9.0, 25.0]  # half of 2, 6, 18 and the 50 s cap
    assert [round(h) for h in highest] == [2, 6, 18, 50]


def test_a_temporary_failure_is_retried_on_the_same_channel_later():
    step = next_step(SMS, False, NOON, RULES, lambda: 0.5, ENABLED)
    assert step.fallback_channel is None
    assert step.next_attempt_at == NOON + timedelta(seconds=1.5)


def test_the_last_attempt_on_a_channel_falls_back_to_the_next_one_at_once():
    last = replace(SMS, channel_attempts=2)
    step = next_step(last, False, NOON, RULES, lambda: 0.5, ENABLED)
    assert (step.fallback_channel, step.next_attempt_at) == ("email", NOON)


def test_a_permanent_failure_falls_back_at_once_skipping_disabled_channels():
    step = next_step(SMS, True, NOON, RULES, lambda: 0.5, ("sms", "push", "log"))
    assert (step.fallback_channel, step.next_attempt_at) == ("push", NOON)


def test_with_no_channel_left_the_notification_has_failed():
    last = replace(SMS, channel="log", fallbacks=(), channel_attempts=2)
    step = next_step(last, False, NOON, RULES, lambda: 0.5, ENABLED)
    assert (step.fallback_channel, step.next_attempt_at) == (None, None)


def test_an_education_retry_that_would_land_in_quiet_hours_waits_for_the_morning():
    late = datetime(2026, 3, 2, 13, 59, 59, tzinfo=UTC)  # 21:59:59 in Shanghai
    education = replace(SMS, category="education")
    step = next_step(education, False, late, RULES, lambda: 0.5, ENABLED)
    assert step.next_attempt_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 next day
    security = next_step(SMS, False, late, RULES, lambda: 0.5, ENABLED)
    assert security.next_attempt_at == late + timedelta(seconds=1.5)


def test_failures_move_the_notification_along_its_channels():
    requested = NewEvent(
        "NotificationRequested",
        {
            "customer_id": "c1",
            "category": "security",
            "channel": "sms",
            "fallbacks": ["email", "log"],
        },
    )
    failed = NewEvent(
        "NotificationFailed",
        {"next_attempt_at": None, "fallback_channel": "email", "fallbacks": ["log"]},
    )
    state = NOTIFICATION.fold([requested, failed])
    assert (state.status, state.channel, state.fallbacks, state.attempts) == (
        "retrying",
        "email",
        ("log",),
        1,
    )
    gave_up = NewEvent("NotificationFailed", {"next_attempt_at": None, "fallback_channel": None})
    assert NOTIFICATION.evolve(state, gave_up).status == "failed"


def test_a_request_is_recorded_once_and_an_outcome_only_for_the_attempt_made():
    requested = NewEvent(
        "NotificationRequested",
        {"customer_id": "c1", "category": "security", "channel": "log", "fallbacks": []},
    )
    state = NOTIFICATION.fold([requested])
    assert decide_request(state, requested) == []
    sent = NewEvent("NotificationSent", {})
    assert decide_outcome(state, 0, [sent]) == [sent]
    after = NOTIFICATION.evolve(state, sent)
    assert decide_outcome(after, 0, [sent]) == []  # someone recorded this attempt already
