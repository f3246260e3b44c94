"""SMS through a real local HTTP gateway that fails on demand: retry, back off, fall back."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from notify_support import DAYTIME, Gateway, Notify, bearer, held, notify_settings, write_rules

from shared.ports import free_port


class Mailbox:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


@pytest.fixture
def gateway():
    servers = []

    def start(**kwargs):
        server = Gateway(**kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def sms_notify(database_url, tmp_path, gateway, mailbox=None, **rules):
    changes = {
        "channels.enabled": ["sms", "email", "log"],
        "channels.sms.url": gateway.url,
        "channels.email.port": mailbox.port if mailbox else free_port(),
        "delivery.backoff_base_seconds": 2.0,
        "delivery.backoff_factor": 2.0,
        "delivery.max_attempts_per_channel": 3,
        **rules,
    }
    return Notify(notify_settings(database_url, rules_file=write_rules(tmp_path, **changes)))


def test_two_503s_are_retried_with_backoff_and_the_third_try_is_sent(
    database_url, tmp_path, gateway
):
    sms = gateway(script=[503, 503], default=200)
    notify = sms_notify(database_url, tmp_path, sms)
    try:
        notify.register("c1", phone="13800001234")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"

        notify.dispatch(DAYTIME)
        first = notify.notification(notification_id)
        assert (first["status"], first["attempts"]) == ("retrying", 1)
        # Jitter 0.5 of equal jitter: 1.5 s after a 2 s base, then 3 s after 4 s.
        assert first["next_attempt_at"].replace(tzinfo=None) == (
            DAYTIME + timedelta(seconds=1.5)
        ).replace(tzinfo=None)
        assert notify.dispatch(DAYTIME + timedelta(seconds=1)) == 0, "not due yet"
        notify.dispatch(DAYTIME + timedelta(seconds=1.5))
        notify.dispatch(DAYTIME + timedelta(seconds=4.5))

        row = notify.notification(notification_id)
        assert (row["status"], row["channel"], row["attempts"]) == ("sent", "sms", 3)
        assert row["provider_id"] == "gw-3"
        events = notify.events(notification_id)
        assert [e.type for e in events] == [
            "NotificationRequested",
            "NotificationFailed",
            "NotificationFailed",
            "NotificationSent",
        ]
        assert [e.data["next_attempt_at"] for e in events[1:3]] == [
            "2026-03-02T02:00:01.500000Z",
            "2026-03-02T02:00:04.500000Z",
        ]
        assert "503" in events[1].data["error"]
        assert len(sms.requests) == 3
        for request in sms.requests:
            assert request["headers"]["Idempotency-Key"] == notification_id
            assert request["body"]["notification_id"] == notification_id
            assert request["body"]["to"] == "13800001234"
            assert request["body"]["body"] == row["body"]
    finally:
        notify.close()


def test_a_gateway_that_reports_delivery_marks_the_notification_delivered(
    sqlite_url, tmp_path, gateway
):
    sms = gateway(answer={"status": "delivered"})
    notify = sms_notify(sqlite_url, tmp_path, sms)
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        notify.dispatch()
        assert notify.notification(notification_id)["status"] == "delivered"
    finally:
        notify.close()


def test_a_gateway_that_always_fails_falls_back_to_email(database_url, tmp_path, gateway, mailbox):
    sms = gateway(default=500)
    notify = sms_notify(database_url, tmp_path, sms, mailbox)
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        moment = DAYTIME
        for _ in range(6):
            notify.dispatch(moment)
            moment += timedelta(minutes=1)
        events = notify.events(notification_id)
        assert [e.type for e in events] == [
            "NotificationRequested",
            "NotificationFailed",
            "NotificationFailed",
            "NotificationFailed",
            "NotificationSent",
            "NotificationDelivered",
        ]
        last_sms = events[3].data
        assert last_sms["fallback_channel"] == "email" and last_sms["channel_attempt"] == 3
        assert len(sms.requests) == 3 and mailbox.count == 1
        row = notify.notification(notification_id)
        assert (row["status"], row["channel"], row["attempts"]) == ("delivered", "email", 4)
    finally:
        notify.close()


def test_a_4xx_answer_falls_back_at_once(sqlite_url, tmp_path, gateway, mailbox):
    sms = gateway(default=400)
    notify = sms_notify(sqlite_url, tmp_path, sms, mailbox)
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        notify.dispatch()
        notify.dispatch()
        assert len(sms.requests) == 1 and mailbox.count == 1
        assert notify.notification(notification_id)["channel"] == "email"
    finally:
        notify.close()


def test_customers_choose_their_channel_order(sqlite_url, tmp_path, gateway, mailbox):
    sms = gateway()
    notify = sms_notify(sqlite_url, tmp_path, sms, mailbox)
    try:
        notify.register("c1")
        client = notify.app.test_client()
        reply = client.post(
            "/v1/customers/c1/preferences",
            json={"education_opt_out": False, "channels": ["email", "sms"]},
            headers=bearer("teller"),
        )
        assert reply.status_code == 200
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        row = notify.notification(notification_id)
        assert (row["channel"], row["fallbacks"]) == ("email", ["sms", "log"])
        notify.dispatch()
        assert mailbox.count == 1 and sms.requests == []
    finally:
        notify.close()


def test_a_slow_gateway_times_out_without_holding_up_other_notifications(
    sqlite_url, tmp_path, gateway
):
    slow = gateway(delay=3.0)
    notify = sms_notify(
        sqlite_url,
        tmp_path,
        slow,
        **{"delivery.send_timeout_seconds": 0.3, "channels.enabled": ["sms", "log"]},
    )
    try:
        notify.register("c1", phone="13800001234")
        notify.register("c2", phone=None, email=None)  # reachable through the log only
        slow_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        other_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c2')).event_id}"
        assert slow.requests == [], "recording a request never calls a provider"
        notify.dispatch()
        slow_row, other_row = notify.notification(slow_id), notify.notification(other_id)
        assert (slow_row["status"], slow_row["attempts"]) == ("retrying", 1)
        assert "unreachable" in slow_row["last_error"] or "timed out" in slow_row["last_error"]
        assert other_row["status"] == "delivered"
    finally:
        notify.close()


def test_a_batch_is_bounded_per_tick(sqlite_url, tmp_path, gateway):
    notify = sms_notify(
        sqlite_url,
        tmp_path,
        gateway(),
        **{"delivery.batch_size": 3, "channels.enabled": ["log"]},
    )
    try:
        notify.register("c1")
        for _ in range(5):
            notify.deliver("WithdrawalHeld", held("c1"))
        assert [notify.dispatch(), notify.dispatch(), notify.dispatch()] == [3, 2, 0]
        assert {row["status"] for row in notify.notifications()} == {"delivered"}
    finally:
        notify.close()
