"""Helpers for notify's integration tests: settings, rules files, envelopes, seeding."""

import ipaddress
import json
import ssl
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select

from services.notify import service_spec
from services.notify.application import Runtimes
from services.notify.rules import SHIPPED_RULES
from shared import eventstore
from shared.config import Settings
from shared.db import make_engine, read_transaction, write_transaction
from shared.envelope import Envelope
from shared.ids import new_id
from shared.ports import free_port
from shared.web.app import create_service_app

SECRET = "test-secret-of-at-least-thirty-two-bytes!"
# 10:00 in Shanghai, well outside quiet hours.
DAYTIME = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def write_rules(directory: Path, **changes) -> str:
    """A rules file: the shipped one with `changes` ("delivery.batch_size": 5, say)."""
    with SHIPPED_RULES.open("rb") as handle:
        raw = tomllib.load(handle)
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        table = raw
        for part in path:
            table = table.setdefault(part, {})
        table[last] = value
    path = directory / f"notify-rules-{new_id()}.toml"
    path.write_text(_toml(raw))
    return str(path)


def _toml(raw: dict, prefix: str = "") -> str:
    """Enough of a TOML writer for the rules file: scalars, lists and nested tables."""
    lines = [f"{_key(k)} = {json.dumps(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    text = "\n".join(lines) + "\n"
    for key, value in raw.items():
        if isinstance(value, dict):
            name = f"{prefix}{_key(key)}"
            text += f"\n[{name}]\n" + _toml(value, f"{name}.")
    return text


def _key(key: str) -> str:
    return json.dumps(key) if "-" in key else key


def notify_settings(database_url: str, **overrides) -> Settings:
    values = {
        "service": "notify",
        "database_url": database_url,
        "nats_url": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        "jwt_secret": SECRET,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Clock:
    """The time handlers and the web app see; tests move it."""

    now: datetime = DAYTIME

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Notify:
    """One notify service on a test database: spec, engine, handlers, app and timers."""

    settings: Settings
    clock: Clock = field(default_factory=Clock)
    channels: dict | None = None
    jitter: float = 0.5

    def __post_init__(self):
        self.spec = service_spec(
            self.settings, clock=self.clock, channels=self.channels, jitter=lambda: self.jitter
        )
        self.engine = make_engine(self.settings.database_url)
        eventstore.create_schema(self.engine, self.spec.projections.metadata)
        self.handlers = {
            event_type: handler
            for handlers in self.spec.subscriptions.values()
            for event_type, handler in handlers.items()
        }
        self._app = None

    @property
    def app(self):
        if self._app is None:
            self._app = create_service_app(self.spec, self.settings, engine=self.engine)
            self._app.extensions["warden"].clock = self.clock
        return self._app

    def deliver(self, event_type: str, data: dict, event_id: str | None = None) -> Envelope:
        """Run a handler as the consumer would (without its inbox); returns the envelope."""
        envelope = make_envelope(event_type, data, event_id)
        with write_transaction(self.engine) as conn:
            self.handlers[event_type].fn(conn, envelope)
        return envelope

    def register(self, customer_id: str, **details) -> Envelope:
        data = {
            "customer_id": customer_id,
            "name": "王芳",
            "id_type": "resident_id",
            "id_number": "340104195801011234",
            "birth_date": "1990-05-01",
            "phone": "13800001234",
            "email": f"{customer_id}@example.com",
            "occupation": "engineer",
            "employer": "Hefei Works",
            "preferred_language": "zh-CN",
            "segment": "standard",
        }
        data.update(details)
        return self.deliver("CustomerRegistered", data)

    def dispatch(self, now: datetime | None = None) -> int:
        return self.spec.timers[0].run(self.engine, self.settings, now or self.clock.now)

    def fan_out(self, now: datetime | None = None) -> int:
        return self.spec.timers[1].run(self.engine, self.settings, now or self.clock.now)

    @property
    def runtime(self):
        return Runtimes(self.spec.projections, self.settings).for_settings(self.settings)

    def table(self, name: str):
        return self.spec.projections.metadata.tables[name]

    def notification(self, notification_id: str) -> dict:
        table = self.table("notify_notifications")
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(table).where(table.c.id == notification_id)).mappings().one()
        return dict(row)

    def notifications(self) -> list[dict]:
        table = self.table("notify_notifications")
        with read_transaction(self.engine) as conn:
            return [
                dict(r) for r in conn.execute(select(table).order_by(table.c.position)).mappings()
            ]

    def events(self, stream_id: str) -> list:
        with read_transaction(self.engine) as conn:
            return eventstore.read_stream(conn, stream_id)

    def close(self):
        self.engine.dispose()


def make_envelope(event_type: str, data: dict, event_id: str | None = None) -> Envelope:
    event_id = event_id or new_id()
    return Envelope(
        event_id=event_id,
        type=event_type,
        schema_version=1,
        stream_id=data.get("withdrawal_id") or data.get("account_id") or data["customer_id"],
        version=1,
        position=1,
        occurred_at="2026-03-02T02:00:00.000000Z",
        correlation_id=f"corr-{event_id}",
        causation_id=None,
        actor={"role": "system", "sub": "test"},
        data=data,
    )


def held(customer_id: str, **changes) -> dict:
    """A WithdrawalHeld payload as docs/events.md lists it."""
    data = {
        "withdrawal_id": f"w-{new_id()}",
        "account_id": "acc-1",
        "customer_id": customer_id,
        "amount": "80000.00",
        "currency": "CNY",
        "channel": "counter_cash",
        "purpose": "investment",
        "payee": None,
        "appointment_id": "apt-1",
        "branch_id": "b-1",
        "status": "held",
        "reasons": ["ELDERLY_LARGE_CASH", "RISKY_PURPOSE"],
        "decision": {"rules_version": "r1", "inputs": {}, "verdicts": []},
        "customer": {
            "customer_id": customer_id,
            "name_initial": "王*",
            "id_number_masked": "3401**********1234",
            "age": 68,
            "segment": "elderly",
            "preferred_language": "zh-CN",
        },
    }
    data.update(changes)
    return data


def account_opened(customer_id: str, account_id: str = "acc-1") -> dict:
    return {
        "account_id": account_id,
        "customer_id": customer_id,
        "account_class": "I",
        "purpose": "salary",
        "purpose_detail": "",
        "channel": "counter",
        "documents": [],
        "branch_id": "b-1",
        "flags": [],
        "status": "active",
        "risk_tier": "LOW",
        "limits": {"per_transaction": "50000.00", "daily": "200000.00"},
        "verification_method": "sms_otp",
        "opened_at": "2026-03-02T02:00:00.000000Z",
    }


def bearer(role: str = "supervisor", sub: str = "s-1", **claims) -> dict:
    from shared.tokens import mint_token

    return {"Authorization": f"Bearer {mint_token(SECRET, sub, role, **claims)}"}


class Gateway:
    """A real HTTP gateway on localhost that answers from a script, then `default`."""

    def __init__(
        self,
        script=(),
        default=200,
        answer=None,
        delay: float = 0.0,
        tls: "Certificates | None" = None,
        token: str = "",
    ):
        """`tls`: serve HTTPS with its certificate; `token`: answer 401 to any other bearer."""
        self.script = list(script)
        self.default = default
        self.answer = answer or {"status": "accepted"}
        self.delay = delay
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = gateway.script.pop(0) if gateway.script else gateway.default
                if token and self.headers.get("Authorization") != f"Bearer {token}":
                    status = 401
                if gateway.delay:
                    threading.Event().wait(gateway.delay)
                payload = json.dumps({"id": f"gw-{len(gateway.requests)}", **gateway.answer})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # HTTPS with a certificate from the test's own CA
            self.scheme = "https"
            self.server.socket = tls.server_context().wrap_socket(
                self.server.socket, server_side=True
            )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/v1/sms"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Certificates:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost, as PEM
    files in `directory`: what a bank's internal CA does for its gateways and mail relay."""

    directory: Path

    def __post_init__(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.now(UTC)

        def name(text):
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(name("Warden test CA"))
            .issuer_name(name("Warden test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True,
                    content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        key = ec.generate_private_key(ec.SECP256R1())
        server = (
            x509.CertificateBuilder()
            .subject_name(name("gateway.warden.test"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = str(self.directory / "ca.pem")
        self.cert_file = str(self.directory / "server.pem")
        self.key_file = str(self.directory / "server-key.pem")
        Path(self.ca_file).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        Path(self.cert_file).write_bytes(server.public_bytes(serialization.Encoding.PEM))
        Path(self.key_file).write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context
