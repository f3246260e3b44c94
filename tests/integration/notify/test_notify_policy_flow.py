"""Security notices always go out; education waits out quiet hours and respects opt-outs."""

from datetime import UTC, datetime

import pytest
from notify_support import Clock, Notify, account_opened, bearer, held, notify_settings
from sqlalchemy.exc import NoResultFound

from shared.consumer import RetryLater
from shared.envelope import as_utc

ELEVEN_PM = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
HALF_PAST_ELEVEN = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
EIGHT_AM = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 the next morning


def at(moment: datetime, database_url: str) -> Notify:
    return Notify(notify_settings(database_url), clock=Clock(moment))


def test_a_welcome_at_eleven_at_night_waits_until_eight_and_is_sent_then(database_url):
    notify = at(ELEVEN_PM, database_url)
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('AccountOpened', account_opened('c1')).event_id}"
        row = notify.notification(notification_id)
        assert row["category"] == "education" and row["status"] == "requested"
        assert as_utc(row["next_attempt_at"]) == EIGHT_AM
        assert notify.events(notification_id)[0].data["deferred"] is True

        assert notify.dispatch(HALF_PAST_ELEVEN) == 0
        assert notify.dispatch(datetime(2026, 3, 2, 23, 59, tzinfo=UTC)) == 0  # 07:59
        assert notify.notification(notification_id)["status"] == "requested"
        assert notify.dispatch(EIGHT_AM) == 1
        assert notify.notification(notification_id)["status"] == "delivered"
    finally:
        notify.close()


def test_a_security_notice_goes_out_at_eleven_at_night(database_url):
    notify = at(ELEVEN_PM, database_url)
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        assert as_utc(notify.notification(notification_id)["next_attempt_at"]) == ELEVEN_PM
        assert notify.dispatch(ELEVEN_PM) == 1
        assert notify.notification(notification_id)["status"] == "delivered"
    finally:
        notify.close()


def test_an_opt_out_suppresses_education_but_never_security(database_url):
    notify = at(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), database_url)
    try:
        notify.register("c1")
        reply = notify.app.test_client().post(
            "/v1/customers/c1/preferences",
            json={"education_opt_out": True},
            headers=bearer("teller", "t-9"),
        )
        assert reply.status_code == 200 and reply.get_json()["education_opt_out"] is True
        welcome = f"ntf_{notify.deliver('AccountOpened', account_opened('c1')).event_id}"
        security = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        notify.dispatch()
        assert (notify.notification(welcome)["status"], notify.notification(welcome)["reason"]) == (
            "suppressed",
            "opted_out",
        )
        assert notify.notification(security)["status"] == "delivered"
        assert [e.type for e in notify.events(welcome)] == ["NotificationSuppressed"]
    finally:
        notify.close()


def test_an_opt_out_while_a_welcome_waits_for_morning_suppresses_it_then(sqlite_url):
    notify = at(ELEVEN_PM, sqlite_url)
    try:
        notify.register("c1")
        welcome = f"ntf_{notify.deliver('AccountOpened', account_opened('c1')).event_id}"
        notify.app.test_client().post(
            "/v1/customers/c1/preferences",
            json={"education_opt_out": True},
            headers=bearer("system", "crm"),
        )
        notify.dispatch(EIGHT_AM)
        assert notify.notification(welcome)["status"] == "suppressed"
        types = [e.type for e in notify.events(welcome)]
        assert types == ["NotificationRequested", "NotificationSuppressed"]
    finally:
        notify.close()


def test_an_event_for_a_customer_not_yet_in_the_contact_book_waits_for_them(sqlite_url):
    """Streams are ordered only within themselves: the hold may outrun CustomerRegistered."""
    notify = at(ELEVEN_PM, sqlite_url)
    try:
        hold = held("stranger")
        with pytest.raises(RetryLater):
            notify.deliver("WithdrawalHeld", hold, event_id="e-held")
        with pytest.raises(NoResultFound):
            notify.notification("ntf_e-held")
        notify.register("stranger")
        notify.deliver("WithdrawalHeld", hold, event_id="e-held")  # the consumer's redelivery
        assert notify.notification("ntf_e-held")["status"] == "requested"
    finally:
        notify.close()


def test_contact_changes_reach_later_notifications(sqlite_url):
    notify = at(ELEVEN_PM, sqlite_url)
    try:
        notify.register("c1", preferred_language="zh-CN")
        notify.deliver(
            "CustomerContactChanged",
            {
                "customer_id": "c1",
                "phone": "13900009999",
                "email": None,
                "preferred_language": "en",
            },
        )
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        row = notify.notification(notification_id)
        assert row["language"] == "en" and row["body"].startswith("Hello")
        contact = notify.events("contact-c1")[-1].data
        assert (contact["phone"], contact["email"], contact["name"]) == (
            "13900009999",
            None,
            "王芳",
        )
    finally:
        notify.close()


def test_the_story_of_a_blocked_victim_and_a_released_withdrawal(sqlite_url):
    notify = at(ELEVEN_PM, sqlite_url)
    try:
        notify.register("c1", birth_date="1958-01-01")
        victim = held("c1", purpose="safe_account_transfer", amount="80000.00")
        notify.deliver("WithdrawalHeld", victim)
        blocked = {
            "withdrawal_id": victim["withdrawal_id"],
            "account_id": "acc-1",
            "customer_id": "c1",
            "case_id": "case-1",
        }
        warning = notify.deliver("WithdrawalBlocked", {**blocked, "outcome": "fraud_victim"})
        row = notify.notification(f"ntf_{warning.event_id}")
        assert row["template"] == "fraud_warning" and row["segment"] == "elderly"
        assert "80,000.00元" in row["body"] and "安全账户" in row["body"]

        suspect = notify.deliver("WithdrawalBlocked", {**blocked, "outcome": "fraud_suspect"})
        assert notify.events(f"ntf_{suspect.event_id}") == [], "a suspect gets no fraud_warning"

        cleared = held("c1", amount="12000.00")
        notify.deliver("WithdrawalHeld", cleared)
        released = notify.deliver(
            "WithdrawalReleased",
            {
                "withdrawal_id": cleared["withdrawal_id"],
                "account_id": "acc-1",
                "customer_id": "c1",
                "case_id": "case-2",
                "police_reference": "PSB-1",
            },
        )
        row = notify.notification(f"ntf_{released.event_id}")
        assert row["template"] == "withdrawal_released" and "12,000.00元" in row["body"]
    finally:
        notify.close()
