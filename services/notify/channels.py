"""Where messages go: a log line, an email over SMTP, or an HTTP gateway for SMS and push."""

import json
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import httpx

from services.notify.rules import Rules
from shared.config import Settings

log = logging.getLogger("warden.notify.deliveries")
# Gateway answers say more than we need; we read at most this much of one.
MAX_ANSWER_BYTES = 65_536


@dataclass(frozen=True)
class Message:
    notification_id: str
    customer_id: str
    channel: str
    to: str
    subject: str
    body: str
    parts: list[str]
    language: str


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; `delivered` when it also says it reached the customer."""

    provider_id: str
    delivered: bool


class SendFailed(Exception):
    """A send that did not go through; `permanent` failures fall back at once."""

    def __init__(self, error: str, permanent: bool = False):
        super().__init__(error)
        self.error = error
        self.permanent = permanent


class Channel(Protocol):
    def send(self, message: Message, timeout: float) -> Accepted: ...


class LogChannel:
    """The development sink: one JSON log line per message; accepted means delivered."""

    def send(self, message: Message, timeout: float) -> Accepted:
        line = {
            "event": "notification_logged",
            "notification_id": message.notification_id,
            "customer_id": message.customer_id,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
        }
        log.info(json.dumps(line, ensure_ascii=False))
        return Accepted(provider_id=f"log:{message.notification_id}", delivered=True)


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Verify the peer's certificate and host name against `ca_file` (PEM), or the system's
    trust store when it is ""; TLS 1.2 at least."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass(frozen=True)
class EmailChannel:
    """SMTP; the Message-ID carries the notification id so a resend is recognisable.

    `security`: "none", "starttls" (upgrade, refusing a server that does not offer it) or
    "tls" (implicit TLS); with a username it logs in, over TLS only.
    """

    host: str
    port: int
    sender: str
    security: str = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""

    def __post_init__(self):
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"unknown SMTP security {self.security!r}")
        if self.username and self.security == "none":
            raise ValueError("SMTP login needs starttls or tls: no password in the clear")

    def send(self, message: Message, timeout: float) -> Accepted:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.notification_id)
        email["Content-Language"] = message.language
        email.set_content(message.body)
        try:
            with self._connect(timeout) as smtp:
                smtp.send_message(email)
        except smtplib.SMTPAuthenticationError as exc:
            # Our credentials, not the message: temporary (retried, then the next channel).
            raise SendFailed(f"smtp login refused: {exc.smtp_code}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SendFailed(f"smtp server does not offer what we need: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"recipient refused: {codes}", permanent=min(codes) >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except ssl.SSLError as exc:
            raise SendFailed(f"smtp tls failed: {exc.reason or exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"smtp unavailable: {type(exc).__name__}: {exc}") from exc
        return Accepted(provider_id=message_id(message.notification_id), delivered=True)

    def _connect(self, timeout: float) -> smtplib.SMTP:
        if self.security == "tls":
            context = tls_context(self.ca_file)
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            if self.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("STARTTLS is not offered")
                smtp.starttls(context=tls_context(self.ca_file))
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def message_id(notification_id: str) -> str:
    return f"<{notification_id}@warden>"


@dataclass(frozen=True)
class GatewayChannel:
    """POST {to, body, parts, notification_id} with Idempotency-Key; 4xx is permanent.

    httpx with every phase bounded by the send timeout, `Authorization: Bearer <token>` when
    a token is set, and TLS verified against `ca_file` (the bank's internal CA) or the
    system's store. Environment proxies are ignored: the gateways are the bank's own
    internal services. Redirects are not followed (the token would go with them).
    """

    name: str
    url: str
    token: str = field(default="", repr=False)
    ca_file: str = ""

    def send(self, message: Message, timeout: float) -> Accepted:
        payload = {
            "to": message.to,
            "body": message.body,
            "parts": message.parts,
            "notification_id": message.notification_id,
        }
        headers = {"Idempotency-Key": message.notification_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            with (
                httpx.Client(
                    timeout=httpx.Timeout(timeout),
                    verify=tls_context(self.ca_file) if self.url.startswith("https:") else True,
                    trust_env=False,
                    follow_redirects=False,
                ) as client,
                client.stream("POST", self.url, json=payload, headers=headers) as reply,
            ):
                raw = _read_at_most(reply, MAX_ANSWER_BYTES)
        except httpx.TimeoutException as exc:
            raise SendFailed(f"{self.name} gateway timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:  # refused, reset, TLS (an untrusted certificate), …
            raise SendFailed(f"{self.name} gateway unreachable: {_reason(exc)}") from exc
        if reply.status_code >= 300:
            code = reply.status_code
            permanent = 400 <= code < 500 and code not in (401, 403, 408, 425, 429)
            raise SendFailed(f"{self.name} gateway answered {code}", permanent)
        answer = _json_or_empty(raw)
        provider_id = str(answer.get("id") or f"{self.name}:{message.notification_id}")
        return Accepted(provider_id=provider_id, delivered=answer.get("status") == "delivered")


def _read_at_most(reply: httpx.Response, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in reply.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _reason(exc: httpx.HTTPError) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # httpx wraps httpcore's error, which wraps ssl's
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate not trusted: {cause.verify_message}"
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {exc}"


def _json_or_empty(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def make_channels(rules: Rules, settings: Settings | None = None) -> dict[str, Channel]:
    """Every channel the rules configure; which ones are used is `enabled_channels`.

    Addresses come from the rules; credentials, TLS and CA bundles from settings.
    """
    s = settings or Settings(service="notify", database_url="")
    gateway = {"token": s.notify_gateway_token, "ca_file": s.notify_gateway_ca_file}
    return {
        "log": LogChannel(),
        "email": EmailChannel(
            rules.smtp_host,
            rules.smtp_port,
            rules.smtp_sender,
            security=s.notify_smtp_security,
            username=s.notify_smtp_username,
            password=s.notify_smtp_password,
            ca_file=s.notify_smtp_ca_file,
        ),
        "sms": GatewayChannel("sms", rules.sms_url, **gateway),
        "push": GatewayChannel("push", rules.push_url, **gateway),
    }
