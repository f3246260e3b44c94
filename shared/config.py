"""Settings read from the environment once, in create_app or the worker, never at import time."""

import os
import re
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PORTS = {"accounts": 8001, "withdrawals": 8002, "cases": 8003, "notify": 8004}
DEFAULT_PORTAL_PORT = 8005
DEV_JWT_SECRET = "warden-dev-secret-not-for-production"
EMBEDDED_NATS_URL = "nats://127.0.0.1:14222"


@dataclass(frozen=True)
class Settings:
    """Everything an operator may set for one service; defaults run the embedded system."""

    service: str
    database_url: str
    nats_url: str = EMBEDDED_NATS_URL
    port: int = 8000
    mode: str = "embedded"
    jwt_secret: str = field(default=DEV_JWT_SECRET, repr=False)
    timezone: str = "Asia/Shanghai"
    nats_namespace: str = ""
    # One partition of a service beside others on the same NATS (docs/scaling.md), e.g.
    # WARDEN_WITHDRAWALS_PARTITION=north: its own database, stream WITHDRAWALS_NORTH, subjects
    # withdrawals.north.>, durable consumers withdrawals-north-from-<source>. "": unpartitioned.
    partition: str = ""
    # The partitions of a service this one consumes, "withdrawals=north,south" (several
    # sources: ";" between): its consumer reads them all from stream WITHDRAWALS, which then
    # has no subjects of its own and sources WITHDRAWALS_NORTH and WITHDRAWALS_SOUTH.
    source_partitions: str = ""
    stream_replicas: int = 1
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.05
    relay_lag_ready_limit: int = 10_000
    relay_lease_seconds: float = 10.0
    # How often, at most, a busy relay records how far it has published (shared/relay.py).
    relay_checkpoint_seconds: float = 0.25
    # The worker's own HTTP port for the orchestrator: GET /healthz (NATS connected, relay and
    # consumers running) and GET /metrics (its counters). 0: no health server.
    # WARDEN_<SERVICE>_WORKER_HEALTH_PORT, since several workers share a host under `warden up`.
    worker_health_port: int = 0
    worker_health_bind: str = "127.0.0.1"
    consumer_max_attempts: int = 5
    # Deliveries an event may wait for a fact from another stream (RetryLater), ~7 minutes.
    consumer_wait_attempts: int = 20
    # How long JetStream waits for an ack before redelivering (a worker killed mid-batch).
    consumer_ack_wait_seconds: float = 30.0
    max_body_bytes: int = 1_048_576
    # Nesting a JSON body may have; Warden's deepest is 3, so deeper is an attack or a bug.
    max_json_depth: int = 32
    # A service's rules/policy TOML (limits, thresholds, SLAs); "" means the file it ships.
    rules_file: str = ""
    # The police portal's own port (DOMAIN §11: WARDEN_PORTAL_PORT).
    portal_port: int = DEFAULT_PORTAL_PORT
    # Pages ask other services for what cases does not hold, as the signed-in user.
    withdrawals_url: str = "http://127.0.0.1:8002"
    notify_url: str = "http://127.0.0.1:8004"
    # A page session ends after this long without a request (fractions for tests).
    session_idle_minutes: float = 30.0
    # The bank's OpenID provider for page sign-in; "" keeps the development sign-in only.
    # The claim names are the IdP's (Keycloak, Azure AD and others name roles differently).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_scopes: str = "openid profile"
    oidc_role_claim: str = "role"
    oidc_police_unit_claim: str = "police_unit"
    oidc_branch_claim: str = "branch_id"
    # API bearer tokens from the bank's IdP: RS256/ES256 checked against its JWKS, with iss and
    # aud checked when set (several audiences: comma-separated). Role, police unit and branch
    # come from the oidc_*_claim names above. "" keeps Warden's own HS256 tokens only; with a
    # JWKS URL, HS256 is still accepted unless jwt_secret is the development one.
    jwt_jwks_url: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_jwks_refetch_seconds: float = 30.0  # least time between two JWKS fetches (unknown kid)
    jwt_jwks_max_age_seconds: float = 300.0  # refetch a set this old, so withdrawn keys stop
    # Retention (shared/retention.py): every retention_every_seconds the worker deletes expired
    # idempotency keys (DOMAIN §2's 24 h), inbox rows older than inbox_retention_days, and dead
    # letters resolved longer ago than dead_letter_retention_days (unresolved ones stay), in
    # batches of retention_batch_size rows, at most retention_batches_per_run batches a table.
    retention_every_seconds: float = 3600.0
    retention_batch_size: int = 500
    retention_batches_per_run: int = 20
    inbox_retention_days: float = 30.0
    dead_letter_retention_days: float = 30.0
    # Notify's outbound channels (services/notify/channels.py); their addresses are in notify's
    # rules file. SMS/push gateways: a bearer token (Authorization header) and the PEM CA
    # bundle their TLS certificates must chain to ("" is the system's store). SMTP:
    # notify_smtp_security is none, starttls (port 587) or tls (implicit, port 465), with
    # login when a username is set and its own CA bundle. Token and password: environment
    # only, never in repr or logs.
    notify_gateway_token: str = field(default="", repr=False)
    notify_gateway_ca_file: str = ""
    notify_smtp_security: str = "none"
    notify_smtp_username: str = ""
    notify_smtp_password: str = field(default="", repr=False)
    notify_smtp_ca_file: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_secret == DEV_JWT_SECRET

    def subject(self, aggregate: str, event_type: str) -> str:
        prefix = subject_prefix(self.nats_namespace, self.service, self.partition)
        return f"{prefix}.{aggregate}.{event_type}"

    def partitions_of(self, source: str) -> tuple[str, ...]:
        """The partitions of `source` named in source_partitions; () if it is not partitioned."""
        return parse_source_partitions(self.source_partitions).get(source, ())

    def stream_name(self, service: str | None = None) -> str:
        """This service's stream (its partition's, if it has one), or another service's."""
        if service is None or service == self.service:
            return stream_name(self.nats_namespace, self.service, self.partition)
        return stream_name(self.nats_namespace, service)


def stream_name(namespace: str, service: str, partition: str = "") -> str:
    """JetStream stream of a service, e.g. ACCOUNTS, or T1A2B_ACCOUNTS in a namespaced test run;
    WITHDRAWALS_NORTH for partition north."""
    prefix = namespace.rstrip(".").upper().replace(".", "_")
    name = f"{service}_{partition}" if partition else service
    return f"{prefix}_{name.upper()}" if prefix else name.upper()


def subject_prefix(namespace: str, service: str, partition: str = "") -> str:
    """What every subject of a service's stream starts with: withdrawals, withdrawals.north."""
    return f"{namespace}{service}.{partition}" if partition else f"{namespace}{service}"


# A partition name is one subject token and part of a stream and a durable consumer name.
PARTITION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PARTITION_MAX = 32


def is_partition(name: str) -> bool:
    return bool(PARTITION.fullmatch(name)) and len(name) <= PARTITION_MAX


def parse_source_partitions(text: str) -> dict[str, tuple[str, ...]]:
    """Read "withdrawals=north,south;x=a" as {"withdrawals": ("north", "south"), "x": ("a",)};
    ValueError on anything else."""
    result: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        service, _, names = part.partition("=")
        partitions = tuple(n.strip() for n in names.split(","))
        service = service.strip()
        if not (is_partition(service) and all(map(is_partition, partitions))):
            raise ValueError(part)
        if service in result or len(set(partitions)) < len(partitions):
            raise ValueError(part)
        result[service] = partitions
    return result


# Retention settings, each a positive number (load_settings refuses anything else).
RETENTION_SETTINGS = (
    "retention_every_seconds",
    "retention_batch_size",
    "retention_batches_per_run",
    "inbox_retention_days",
    "dead_letter_retention_days",
)

SMTP_SECURITY = ("none", "starttls", "tls")

# Settings that differ per service on one host carry its name: WARDEN_ACCOUNTS_PORT.
PER_SERVICE = frozenset({"database_url", "port", "rules_file", "worker_health_port", "partition"})


def env_name(service: str, setting: str) -> str:
    if setting in PER_SERVICE:
        return f"WARDEN_{service.upper()}_{setting.upper()}"
    return f"WARDEN_{setting.upper()}"


def load_settings(service: str, overrides: dict | None = None) -> Settings:
    """Read WARDEN_* variables; `overrides` (tests, create_app(config)) win over the environment.

    Every field of Settings is settable: WARDEN_<FIELD>, or WARDEN_<SERVICE>_<FIELD> for the
    per-service ones (database URL and port).
    """
    env = os.environ
    var = env.get("WARDEN_VAR_DIR", "var")
    values = {
        "service": service,
        "database_url": f"sqlite:///{var}/{service}.db",
        "port": DEFAULT_PORTS.get(service, 8000),
    }
    for spec in fields(Settings):
        raw = env.get(env_name(service, spec.name))
        if raw is None or spec.name in ("service", "extra"):
            continue
        default = values.get(spec.name, spec.default)
        values[spec.name] = _converted(env_name(service, spec.name), raw, default)
    values.update(overrides or {})
    settings = Settings(**values)
    check_settings(settings)
    return settings


class SettingsError(RuntimeError):
    """A setting the service cannot run with; the message names the variable and what fits."""


MODES = ("embedded", "production")
# Numbers that must be more than 0 (a 0 would stall a loop, divide, or disable a limit).
POSITIVE = (
    "relay_batch_size",
    "relay_poll_seconds",
    "relay_lag_ready_limit",
    "relay_lease_seconds",
    "relay_checkpoint_seconds",
    "consumer_max_attempts",
    "consumer_wait_attempts",
    "consumer_ack_wait_seconds",
    "max_body_bytes",
    "max_json_depth",
    "stream_replicas",
    "session_idle_minutes",
    "jwt_jwks_refetch_seconds",
    "jwt_jwks_max_age_seconds",
    *RETENTION_SETTINGS,
)
PORTS = ("port", "portal_port", "worker_health_port")


def _converted(variable: str, raw: str, default):
    """The variable's text as its setting's type; a SettingsError saying what was expected."""
    if isinstance(default, bool) or not isinstance(default, int | float):
        return raw
    try:
        return type(default)(raw)
    except ValueError:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise SettingsError(f"{variable} must be {kind}, not {raw!r}") from None


def check_settings(settings: Settings) -> None:
    """Every rule a setting must keep, in one place: start-up fails here, never a request."""
    service = settings.service

    def var(name: str) -> str:
        return env_name(service, name)

    try:
        ZoneInfo(settings.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise SettingsError(
            f"WARDEN_TIMEZONE must be an IANA time zone such as Asia/Shanghai, "
            f"not {settings.timezone!r}"
        ) from None
    if settings.mode not in MODES:
        raise SettingsError(f"WARDEN_MODE must be one of {', '.join(MODES)}, not {settings.mode!r}")
    for name in POSITIVE:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{var(name)} must be more than 0, not {getattr(settings, name)}")
    for name in PORTS:
        if not 0 <= getattr(settings, name) <= 65535:
            raise SettingsError(f"{var(name)} must be a port, 0 to 65535")
    if settings.partition and not is_partition(settings.partition):
        raise SettingsError(
            f"{var('partition')} must be lower-case letters, digits and inner hyphens, at most "
            f"{PARTITION_MAX} characters (it becomes a subject token), not {settings.partition!r}"
        )
    try:
        parse_source_partitions(settings.source_partitions)
    except ValueError as exc:
        raise SettingsError(
            f"WARDEN_SOURCE_PARTITIONS must be service=partition,partition;… (each a name of "
            f"lower-case letters, digits and inner hyphens, none twice), not {exc.args[0]!r}"
        ) from None
    if settings.mode == "production" and settings.uses_dev_secret:
        raise SettingsError("WARDEN_MODE=production refuses the development JWT secret")
    if settings.jwt_jwks_url and not settings.jwt_jwks_url.startswith(("https://", "http://")):
        raise SettingsError("WARDEN_JWT_JWKS_URL must be an http(s) URL")
    idp_unbounded = not (settings.jwt_issuer and settings.jwt_audience)
    if settings.mode == "production" and settings.jwt_jwks_url and idp_unbounded:
        raise SettingsError(
            "WARDEN_MODE=production with WARDEN_JWT_JWKS_URL needs WARDEN_JWT_ISSUER and "
            "WARDEN_JWT_AUDIENCE, or any token the IdP signs for any application is accepted"
        )
    if settings.notify_smtp_security not in SMTP_SECURITY:
        raise SettingsError(
            f"WARDEN_NOTIFY_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
            f"not {settings.notify_smtp_security!r}"
        )
    if settings.notify_smtp_username and settings.notify_smtp_security == "none":
        raise SettingsError(
            "WARDEN_NOTIFY_SMTP_USERNAME needs WARDEN_NOTIFY_SMTP_SECURITY=starttls or tls: "
            "a password never goes over plain SMTP"
        )
    for name in ("notify_gateway_ca_file", "notify_smtp_ca_file"):
        if getattr(settings, name) and not os.path.isfile(getattr(settings, name)):
            raise SettingsError(f"{var(name)}: no such file")
