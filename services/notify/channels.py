"""Where messages go: a log line, an email over SMTP, or an HTTP gateway for SMS and push."""

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from services.notify.rules import Rules

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


@dataclass(frozen=True)
class EmailChannel:
    """SMTP; the Message-ID carries the notification id so a resend is recognisable."""

    host: str
    port: int
    sender: str

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
            with smtplib.SMTP(self.host, self.port, timeout=timeout) as smtp:
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"recipient refused: {codes}", permanent=min(codes) >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"smtp unavailable: {type(exc).__name__}: {exc}") from exc
        return Accepted(provider_id=message_id(message.notification_id), delivered=True)


def message_id(notification_id: str) -> str:
    return f"<{notification_id}@warden>"


@dataclass(frozen=True)
class GatewayChannel:
    """POST {to, body, parts, notification_id} with Idempotency-Key; 4xx is permanent.

    Environment proxies are ignored: the gateways are the bank's own internal services.
    """

    name: str
    url: str

    def send(self, message: Message, timeout: float) -> Accepted:
        payload = {
            "to": message.to,
            "body": message.body,
            "parts": message.parts,
            "notification_id": message.notification_id,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.notification_id,
            },
            method="POST",
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as reply:
                raw = reply.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 425, 429)
            raise SendFailed(f"{self.name} gateway answered {exc.code}", permanent) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SendFailed(f"{self.name} gateway unreachable: {exc}") from exc
        answer = _json_or_empty(raw)
        provider_id = str(answer.get("id") or f"{self.name}:{message.notification_id}")
        return Accepted(provider_id=provider_id, delivered=answer.get("status") == "delivered")


def _json_or_empty(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def make_channels(rules: Rules) -> dict[str, Channel]:
    """Every channel the rules configure; which ones are used is `enabled_channels`."""
    return {
        "log": LogChannel(),
        "email": EmailChannel(rules.smtp_host, rules.smtp_port, rules.smtp_sender),
        "sms": GatewayChannel("sms", rules.sms_url),
        "push": GatewayChannel("push", rules.push_url),
    }
