"""Settings read from the environment once, in create_app or the worker, never at import time."""

import os
from dataclasses import dataclass, field, fields

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
    jwt_secret: str = DEV_JWT_SECRET
    timezone: str = "Asia/Shanghai"
    nats_namespace: str = ""
    stream_replicas: int = 1
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.05
    relay_lag_ready_limit: int = 10_000
    relay_lease_seconds: float = 10.0
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
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile"
    oidc_role_claim: str = "role"
    oidc_police_unit_claim: str = "police_unit"
    oidc_branch_claim: str = "branch_id"
    extra: dict = field(default_factory=dict)

    @property
    def uses_dev_secret(self) -> bool:
        return self.jwt_secret == DEV_JWT_SECRET

    def subject(self, aggregate: str, event_type: str) -> str:
        return f"{self.nats_namespace}{self.service}.{aggregate}.{event_type}"

    def stream_name(self, service: str | None = None) -> str:
        return stream_name(self.nats_namespace, service or self.service)


def stream_name(namespace: str, service: str) -> str:
    """JetStream stream of a service, e.g. ACCOUNTS, or T1A2B_ACCOUNTS in a namespaced test run."""
    prefix = namespace.rstrip(".").upper().replace(".", "_")
    return f"{prefix}_{service.upper()}" if prefix else service.upper()


# Settings that differ per service on one host carry its name: WARDEN_ACCOUNTS_PORT.
PER_SERVICE = frozenset({"database_url", "port", "rules_file"})


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
        values[spec.name] = type(default)(raw) if isinstance(default, int | float) else raw
    values.update(overrides or {})
    settings = Settings(**values)
    if settings.mode == "production" and settings.uses_dev_secret:
        raise RuntimeError("WARDEN_MODE=production refuses the development JWT secret")
    if settings.session_idle_minutes <= 0:
        raise RuntimeError("WARDEN_SESSION_IDLE_MINUTES must be a positive number of minutes")
    return settings
