"""Email goes out over real SMTP (aiosmtpd), carrying the notification id as its Message-ID."""

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from notify_support import Notify, held, notify_settings, write_rules

from services.notify.channels import EmailChannel, Message, SendFailed
from shared.ports import free_port


class Mailbox:
    def __init__(self, refuse: bool = False):
        self.messages = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def message(notification_id="ntf_TEST1", to="wang@example.com") -> Message:
    return Message(
        notification_id=notification_id,
        customer_id="c1",
        channel="email",
        to=to,
        subject="关于您这笔交易暂缓办理的说明",
        body="您好，钱仍在您自己的账户里。反诈热线400-000-0000",
        parts=["…"],
        language="zh-CN",
    )


def test_an_email_arrives_with_the_notification_id_as_message_id(mailbox):
    channel = EmailChannel("127.0.0.1", mailbox.port, "Warden Bank <no-reply@warden.example>")
    accepted = channel.send(message(), timeout=5)
    assert accepted.delivered and accepted.provider_id == "<ntf_TEST1@warden>"
    ((recipients, mail),) = mailbox.messages
    assert recipients == ["wang@example.com"]
    assert mail["Message-ID"] == "<ntf_TEST1@warden>"
    assert mail["Subject"] == "关于您这笔交易暂缓办理的说明"
    assert "反诈热线400-000-0000" in mail.get_content()


def test_a_refused_recipient_is_a_permanent_failure(mailbox):
    mailbox.refuse = True
    channel = EmailChannel("127.0.0.1", mailbox.port, "no-reply@warden.example")
    with pytest.raises(SendFailed) as failure:
        channel.send(message(), timeout=5)
    assert failure.value.permanent


def test_no_smtp_server_is_a_temporary_failure():
    channel = EmailChannel("127.0.0.1", free_port(), "no-reply@warden.example")
    with pytest.raises(SendFailed) as failure:
        channel.send(message(), timeout=2)
    assert not failure.value.permanent


def test_the_worker_delivers_a_held_notice_by_email(mailbox, database_url, tmp_path):
    rules = write_rules(
        tmp_path,
        **{"channels.enabled": ["email", "log"], "channels.email.port": mailbox.port},
    )
    notify = Notify(notify_settings(database_url, rules_file=rules))
    try:
        notify.register("c1", birth_date="1958-01-01", email="wang@example.com")
        source = notify.deliver("WithdrawalHeld", held("c1"))
        assert mailbox.messages == [], "consumers record requests; they never send"
        assert notify.dispatch() == 1
        notification_id = f"ntf_{source.event_id}"
        row = notify.notification(notification_id)
        assert (row["status"], row["channel"], row["segment"]) == ("delivered", "email", "elderly")
        ((recipients, mail),) = mailbox.messages
        assert mail["Message-ID"] == f"<{notification_id}@warden>"
        assert "银行先替您保管一下" in mail.get_content()
        types = [e.type for e in notify.events(notification_id)]
        assert types == ["NotificationRequested", "NotificationSent", "NotificationDelivered"]
        sent = notify.events(notification_id)[1].data
        assert sent["to"] == "w***@example.com" and sent["channel"] == "email"
    finally:
        notify.close()


def test_a_refused_address_falls_back_to_the_next_channel_at_once(mailbox, sqlite_url, tmp_path):
    mailbox.refuse = True
    rules = write_rules(
        tmp_path,
        **{"channels.enabled": ["email", "log"], "channels.email.port": mailbox.port},
    )
    notify = Notify(notify_settings(sqlite_url, rules_file=rules))
    try:
        notify.register("c1")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        notify.dispatch()
        failed = notify.events(notification_id)[1]
        assert failed.type == "NotificationFailed"
        assert failed.data["permanent"] and failed.data["fallback_channel"] == "log"
        notify.dispatch()
        row = notify.notification(notification_id)
        assert (row["status"], row["channel"], row["attempts"]) == ("delivered", "log", 2)
    finally:
        notify.close()
