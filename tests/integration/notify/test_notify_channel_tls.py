"""Outbound channels as production runs them: an HTTPS gateway behind the bank's own CA with
a bearer token, and SMTP with STARTTLS or implicit TLS and login. Real local servers: an
HTTPS stand-in on loopback and aiosmtpd, with certificates from a CA made in the test."""

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from notify_support import Certificates, Gateway, Notify, held, notify_settings, write_rules

from services.notify.channels import EmailChannel, GatewayChannel, Message, SendFailed
from shared.config import load_settings
from shared.ports import free_port

TOKEN = "gw-token-0123456789abcdef"
USER, PASSWORD = "warden", "smtp-password-s3cret"


def message(notification_id="ntf_TLS1", to="13800001234") -> Message:
    return Message(
        notification_id=notification_id,
        customer_id="c1",
        channel="sms",
        to=to,
        subject="说明",
        body="您好，钱仍在您自己的账户里。",
        parts=["您好，钱仍在您自己的账户里。"],
        language="zh-CN",
    )


@pytest.fixture
def certificates(tmp_path):
    return Certificates(tmp_path / "pki")


@pytest.fixture
def https_gateway(certificates):
    server = Gateway(tls=certificates, token=TOKEN, answer={"status": "delivered"})
    yield server
    server.close()


# --- the SMS/push gateway over HTTPS -------------------------------------------------------


def test_the_gateway_is_reached_over_https_trusting_the_configured_ca_with_the_token(
    https_gateway, certificates
):
    channel = GatewayChannel("sms", https_gateway.url, TOKEN, certificates.ca_file)
    accepted = channel.send(message(), timeout=5)
    assert accepted.delivered and accepted.provider_id == "gw-1"
    ((request,),) = [https_gateway.requests]
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Idempotency-Key"] == "ntf_TLS1"
    assert request["body"]["to"] == "13800001234"


def test_without_the_ca_bundle_the_gateways_certificate_is_refused(https_gateway):
    channel = GatewayChannel("sms", https_gateway.url, TOKEN)  # the system's store only
    with pytest.raises(SendFailed) as failure:
        channel.send(message(), timeout=5)
    assert not failure.value.permanent
    assert "certificate not trusted" in failure.value.error
    assert https_gateway.requests == [], "nothing is sent to an unverified peer"


def test_a_wrong_token_is_retried_not_given_up_and_never_shown(https_gateway, certificates):
    wrong = "wrong-token-do-not-print"
    channel = GatewayChannel("sms", https_gateway.url, wrong, certificates.ca_file)
    with pytest.raises(SendFailed) as failure:
        channel.send(message(), timeout=5)
    assert failure.value.error == "sms gateway answered 401"
    assert not failure.value.permanent, "our credentials, not the message: retry, then fall back"
    assert wrong not in repr(channel) and TOKEN not in repr(channel)


def test_the_worker_sends_through_the_https_gateway_with_tokens_and_ca_from_settings(
    https_gateway, certificates, sqlite_url, tmp_path
):
    rules = write_rules(
        tmp_path, **{"channels.enabled": ["sms", "log"], "channels.sms.url": https_gateway.url}
    )
    settings = notify_settings(
        sqlite_url,
        rules_file=rules,
        notify_gateway_token=TOKEN,
        notify_gateway_ca_file=certificates.ca_file,
    )
    assert TOKEN not in repr(settings)
    notify = Notify(settings)
    try:
        notify.register("c1", phone="13800001234")
        notification_id = f"ntf_{notify.deliver('WithdrawalHeld', held('c1')).event_id}"
        assert notify.dispatch() == 1
        row = notify.notification(notification_id)
        assert (row["status"], row["channel"]) == ("delivered", "sms")
        assert https_gateway.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    finally:
        notify.close()


# --- SMTP with TLS and login -----------------------------------------------------------------


def over_tls(server) -> bool:
    return server.transport.get_extra_info("ssl_object") is not None


class Mailbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins.append((mechanism, ok, over_tls(server)))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((session.authenticated, over_tls(server), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(certificates):
    """Start an SMTP server that insists on TLS before AUTH and AUTH before mail.

    aiosmtpd offers AUTH over implicit TLS only with auth_require_tls off (it counts only
    STARTTLS as TLS); the whole connection is TLS there anyway."""
    controllers = []

    def start(implicit_tls: bool = False) -> tuple[Mailbox, int]:
        box = Mailbox()
        tls = {"ssl_context": certificates.server_context()} if implicit_tls else {}
        if not implicit_tls:
            tls = {"tls_context": certificates.server_context(), "require_starttls": True}
        controller = Controller(
            box,
            hostname="127.0.0.1",
            port=free_port(),
            authenticator=box.authenticate,
            auth_required=not implicit_tls,  # (asserted in the test instead)
            auth_require_tls=not implicit_tls,
            **tls,
        )
        controller.start()
        controllers.append(controller)
        return box, controller.port

    yield start
    for controller in controllers:
        controller.stop()


def email_message() -> Message:
    return Message(
        notification_id="ntf_MAIL1",
        customer_id="c1",
        channel="email",
        to="wang@example.com",
        subject="关于您这笔交易暂缓办理的说明",
        body="您好，钱仍在您自己的账户里。",
        parts=["…"],
        language="zh-CN",
    )


def email_channel(port, certificates, security="starttls", password=PASSWORD, ca=True):
    return EmailChannel(
        "127.0.0.1",
        port,
        "no-reply@warden.example",
        security=security,
        username=USER,
        password=password,
        ca_file=certificates.ca_file if ca else "",
    )


def test_starttls_then_login_then_the_mail(smtp_server, certificates):
    box, port = smtp_server()
    accepted = email_channel(port, certificates).send(email_message(), timeout=5)
    assert accepted.delivered
    assert box.logins == [("PLAIN", True, True)] or box.logins == [("LOGIN", True, True)]
    ((authenticated, over_tls, mail),) = box.messages
    assert authenticated and over_tls
    assert mail["Message-ID"] == "<ntf_MAIL1@warden>"


def test_implicit_tls_then_login_then_the_mail(smtp_server, certificates):
    box, port = smtp_server(implicit_tls=True)
    email_channel(port, certificates, security="tls").send(email_message(), timeout=5)
    ((authenticated, over_tls, _),) = box.messages
    assert authenticated and over_tls


def test_an_untrusted_smtp_certificate_is_refused_before_the_password_is_sent(
    smtp_server, certificates
):
    box, port = smtp_server()
    with pytest.raises(SendFailed) as failure:
        email_channel(port, certificates, ca=False).send(email_message(), timeout=5)
    assert not failure.value.permanent and "tls" in failure.value.error
    assert box.logins == [] and box.messages == []


def test_a_refused_login_is_retried_and_the_password_never_shown(smtp_server, certificates):
    box, port = smtp_server()
    channel = email_channel(port, certificates, password="not-the-password")
    with pytest.raises(SendFailed) as failure:
        channel.send(email_message(), timeout=5)
    assert failure.value.error.startswith("smtp login refused: 535")
    assert not failure.value.permanent
    assert "not-the-password" not in repr(channel) + str(failure.value)
    assert box.messages == []


def test_a_login_over_plain_smtp_is_refused_by_configuration(certificates):
    with pytest.raises(ValueError, match="starttls or tls"):
        EmailChannel("127.0.0.1", 25, "x@warden.example", username=USER, password=PASSWORD)


# --- settings ----------------------------------------------------------------------------------


def test_settings_read_the_channel_secrets_from_the_environment_and_check_them(
    monkeypatch, certificates
):
    monkeypatch.setenv("WARDEN_NOTIFY_GATEWAY_TOKEN", TOKEN)
    monkeypatch.setenv("WARDEN_NOTIFY_GATEWAY_CA_FILE", certificates.ca_file)
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_USERNAME", USER)
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_PASSWORD", PASSWORD)
    settings = load_settings("notify")
    assert settings.notify_gateway_token == TOKEN and settings.notify_smtp_password == PASSWORD
    assert TOKEN not in repr(settings) and PASSWORD not in repr(settings)

    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_SECURITY", "ssl")
    with pytest.raises(RuntimeError, match="WARDEN_NOTIFY_SMTP_SECURITY must be one of"):
        load_settings("notify")
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_SECURITY", "none")
    with pytest.raises(RuntimeError, match="WARDEN_NOTIFY_SMTP_USERNAME needs"):
        load_settings("notify")
    monkeypatch.setenv("WARDEN_NOTIFY_SMTP_SECURITY", "tls")
    monkeypatch.setenv("WARDEN_NOTIFY_GATEWAY_CA_FILE", str(certificates.directory / "nope"))
    with pytest.raises(RuntimeError, match="WARDEN_NOTIFY_GATEWAY_CA_FILE: no such file"):
        load_settings("notify")
