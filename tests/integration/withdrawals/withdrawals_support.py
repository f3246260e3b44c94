"""Helpers for the withdrawals integration tests: clock, event feed, request builders."""

from datetime import UTC, datetime

from web_support import SECRET, bearer

from shared import codec
from shared.config import Settings
from shared.ids import new_id
from shared.ports import free_port
from shared.worker import processors

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TELLER = bearer("teller", "t-001", branch_id="HF-01")
OTHER_TELLER = bearer("teller", "t-201", branch_id="HF-02")
SYSTEM = bearer("system", "svc-1")
BRANCH = "HF-01"  # TELLER's branch, and the story account's
OMIT = object()  # a builder's change that leaves the field out of the body
LIMITS = {
    "LOW": {"per_transaction": "50000.00", "daily": "200000.00"},
    "MEDIUM": {"per_transaction": "20000.00", "daily": "50000.00"},
    "HIGH": {"per_transaction": "5000.00", "daily": "10000.00"},
}


class Clock:
    """The app's injectable clock: tests move it instead of sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Feed:
    """Other services' events, handled by the same MessageProcessor the worker's consumer runs."""

    def __init__(self, spec, settings, engine):
        self.processors = processors(spec, settings, engine)
        self.sent: list[str] = []

    def send(self, source: str, event_type: str, data: dict, event_id: str | None = None):
        event_id = event_id or new_id()
        body = {
            "event_id": event_id,
            "type": event_type,
            "schema_version": 1,
            "stream_id": data.get("account_id") or data.get("case_id") or "x",
            "version": 1,
            "position": len(self.sent) + 1,
            "occurred_at": "2026-11-20T01:00:00.000000Z",
            "correlation_id": f"corr-{event_id}",
            "causation_id": None,
            "actor": {"role": "system", "sub": source},
            "data": data,
        }
        self.sent.append(event_id)
        subject = f"{source}.x.{event_type}"
        return self.processors[source].process(subject, codec.dumpb(body), 1)

    def customer(self, customer_id="cus_1", birth_date="1958-03-02", occupation="retired"):
        return self.send(
            "accounts", "CustomerRegistered", registered(customer_id, birth_date, occupation)
        )

    def account(self, account_id="acc_1", customer_id="cus_1", tier="LOW", **changes):
        return self.send(
            "accounts", "AccountOpened", opened(account_id, customer_id, tier, **changes)
        )


def envelope(event_type: str, data: dict, event_id: str, correlation_id: str = "story-2") -> bytes:
    """Another service's event as its relay publishes it (DOMAIN §4), for the NATS tests."""
    return codec.dumpb(
        {
            "event_id": event_id,
            "type": event_type,
            "schema_version": 1,
            "stream_id": data.get("case_id") or data.get("account_id") or data["customer_id"],
            "version": 1,
            "position": 1,
            "occurred_at": "2026-11-20T02:00:00.000000Z",
            "correlation_id": correlation_id,
            "causation_id": None,
            "actor": {"role": "system", "sub": "test"},
            "data": data,
        }
    )


def registered(customer_id="cus_1", birth_date="1958-03-02", occupation="retired") -> dict:
    return {
        "customer_id": customer_id,
        "name": "王芳",
        "id_type": "resident_id",
        "id_number": "340104195803021234",
        "birth_date": birth_date,
        "phone": "13800000000",
        "email": None,
        "occupation": occupation,
        "employer": "",
        "preferred_language": "zh-CN",
        "segment": "elderly",
    }


def opened(account_id="acc_1", customer_id="cus_1", tier="LOW", **changes) -> dict:
    data = {
        "account_id": account_id,
        "customer_id": customer_id,
        "account_class": "I",
        "purpose": "savings",
        "purpose_detail": "",
        "channel": "counter",
        "documents": [],
        "branch_id": "HF-01",
        "flags": [],
        "status": "active",
        "risk_tier": tier,
        "limits": LIMITS[tier],
        "verification_method": "sms_otp",
        "opened_at": "2020-06-01T02:00:00.000000Z",
    }
    return {**data, **changes}


def wd_settings(database_url: str, **overrides) -> Settings:
    values = {
        "service": "withdrawals",
        "database_url": database_url,
        "nats_url": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        "jwt_secret": SECRET,
    }
    return Settings(**{**values, **overrides})


def _body(defaults: dict, changes: dict) -> dict:
    """The defaults with the changes applied; a change to OMIT removes the field."""
    merged = {**defaults, **changes}
    return {key: value for key, value in merged.items() if value is not OMIT}


def book(client, headers=TELLER, **changes):
    """POST /v1/appointments; the body names BRANCH unless a change says otherwise."""
    defaults = {
        "account_id": "acc_1",
        "amount": "80000.00",
        "currency": "CNY",
        "date": "2026-11-20",
        "branch_id": BRANCH,
        "purpose": "investment",
        "source_of_funds": "savings deposits",
    }
    return client.post("/v1/appointments", json=_body(defaults, changes), headers=headers)


def withdraw(client, headers=TELLER, **changes):
    """POST /v1/withdrawals; the body names BRANCH unless a change says otherwise."""
    defaults = {
        "account_id": "acc_1",
        "amount": "1000.00",
        "currency": "CNY",
        "channel": "counter_cash",
        "purpose": "living_expenses",
        "branch_id": BRANCH,
    }
    return client.post("/v1/withdrawals", json=_body(defaults, changes), headers=headers)


def transfer(client, amount="1000.00", headers=TELLER, **changes):
    payee = {"name": "李雷", "account": "6222020000000000"}
    return withdraw(
        client, headers, amount=amount, channel="mobile_transfer", payee=payee, **changes
    )
