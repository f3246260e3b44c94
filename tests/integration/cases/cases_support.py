"""Building blocks for the cases service's integration tests: apps, tokens and source events."""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from services.cases import service_spec
from shared import codec, eventstore
from shared.config import Settings
from shared.db import read_transaction
from shared.ids import new_id
from shared.ports import free_port
from shared.schema import events
from shared.tokens import mint_token
from shared.web.app import create_service_app
from shared.worker import processors

SECRET = "cases-test-secret-of-at-least-32-bytes!"
HOLD_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def settings(database_url: str, **overrides) -> Settings:
    values = {
        "service": "cases",
        "database_url": database_url,
        "nats_url": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        "jwt_secret": SECRET,
    }
    return replace(Settings(**values), **overrides)


def make_app(database_url: str, clock=None, **overrides):
    app = create_service_app(service_spec(), settings(database_url, **overrides))
    if clock is not None:
        app.extensions["warden"].clock = clock
    return app


def bearer(role: str, sub: str, **claims) -> dict:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, role, **claims)}"}


INVESTIGATOR = bearer("investigator", "i-007")
SUPERVISOR = bearer("supervisor", "s-001")
AUDITOR = bearer("auditor", "a-001")
LIAISON_1 = bearer("police_liaison", "p-001", police_unit="PSB-HF-001")
LIAISON_2 = bearer("police_liaison", "p-002", police_unit="PSB-HF-002")


def envelope(event_type: str, stream_id: str, data: dict, occurred_at=HOLD_AT, **extra) -> dict:
    return {
        "event_id": extra.get("event_id") or new_id(),
        "type": event_type,
        "schema_version": 1,
        "stream_id": stream_id,
        "version": extra.get("version", 1),
        "position": extra.get("position", 1),
        "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "correlation_id": extra.get("correlation_id", "corr-story-2"),
        "causation_id": None,
        "actor": {"role": "teller", "sub": "t-042"},
        "data": data,
    }


def withdrawal_held(withdrawal_id: str = "wd_01", account_id: str = "acc_01", **kw) -> dict:
    """A WithdrawalHeld as docs/events.md publishes it: story 2's 68-year-old customer."""
    data = {
        "withdrawal_id": withdrawal_id,
        "account_id": account_id,
        "customer_id": "cus_01",
        "amount": "80000.00",
        "currency": "CNY",
        "channel": "counter_cash",
        "purpose": "investment",
        "payee": None,
        "appointment_id": "apt_01",
        "branch_id": "br-hf-01",
        "status": "held",
        "reasons": ["RISKY_PURPOSE", "ELDERLY_LARGE_CASH"],
        "decision": {
            "rules_version": "withdrawals-2026.1",
            "inputs": {"tier": "LOW", "segment": "elderly", "account_age_days": 900},
            "verdicts": [
                {"rule": "ELDERLY_LARGE_CASH", "outcome": "hold", "applied": True, "detail": ""}
            ],
        },
        "customer": {
            "customer_id": "cus_01",
            "name_initial": "王*",
            "id_number_masked": "3401**********1234",
            "age": 68,
            "segment": "elderly",
            "preferred_language": "zh-CN",
        },
    }
    return envelope("WithdrawalHeld", withdrawal_id, data, **kw)


def account_opening_referred(account_id: str = "acc_02", opened_by: str = "t-042", **kw) -> dict:
    data = {
        "account_id": account_id,
        "customer_id": "cus_02",
        "account_class": "I",
        "purpose": "salary",
        "purpose_detail": "",
        "channel": "counter",
        "documents": [{"type": "employment_proof", "employer": "ACME", "signed_on": None}],
        "branch_id": "br-hf-01",
        "flags": ["EMPLOYMENT_PROOF_UNSIGNED"],
        "status": "pending_review",
        "risk_tier": "LOW",
        "limits": {"per_transaction": "50000.00", "daily": "200000.00"},
        "verification_method": "sms_otp",
        "opened_at": "2026-03-02T01:00:00.000000Z",
        "customer_name_initial": "李*",
        "opened_by": opened_by,
    }
    return envelope("AccountOpeningReferred", account_id, data, **kw)


def account_opened(account_id: str = "acc_9", customer_id: str = "cus_09", **kw) -> dict:
    """An AccountOpened as docs/events.md publishes it: active at once, no flags."""
    data = {
        "account_id": account_id,
        "customer_id": customer_id,
        "account_class": "II",
        "purpose": "savings",
        "purpose_detail": "",
        "channel": "counter",
        "documents": [],
        "branch_id": "br-hf-01",
        "flags": [],
        "status": "active",
        "risk_tier": "LOW",
        "limits": {"per_transaction": "50000.00", "daily": "200000.00"},
        "verification_method": "sms_otp",
        "opened_at": "2026-03-01T01:00:00.000000Z",
    }
    return envelope("AccountOpened", account_id, data, **kw)


def account_closed(account_id: str = "acc_9", customer_id: str = "cus_09", **kw) -> dict:
    data = {"account_id": account_id, "customer_id": customer_id, "reason": "moved away"}
    return envelope("AccountClosed", account_id, data, **kw)


def known_account(engine: Engine, account_id: str = "acc_9", customer_id: str = "cus_09") -> None:
    """Tell cases about the account the way accounts does: its AccountOpened, delivered."""
    deliver(engine, "accounts", account_opened(account_id, customer_id))


def restriction_refused(request, reason_code: str = "ACCOUNT_CLOSED", **kw) -> dict:
    """accounts' answer to `request` (a stored AccountRestrictionRequested), as it publishes it."""
    reasons = {
        "ACCOUNT_CLOSED": "A closed account cannot be restricted.",
        "ACCOUNT_UNKNOWN": "No such account.",
    }
    data = {
        "account_id": request.data["account_id"],
        "case_id": request.data["case_id"],
        "request_event_id": request.event_id,
        "type": request.data["type"],
        "requested_by": request.data["requested_by"],
        "reason_code": reason_code,
        "reason": reasons.get(reason_code, "Refused."),
    }
    stream_id = f"rstrefused-{request.event_id}"
    return envelope("AccountRestrictionRefused", stream_id, data, **kw)


def withdrawal_cancelled(case_id: str | None, withdrawal_id: str = "wd_01", **kw) -> dict:
    data = {
        "withdrawal_id": withdrawal_id,
        "account_id": "acc_01",
        "customer_id": "cus_01",
        "reason": "customer changed their mind",
        "case_id": case_id,
    }
    return envelope("WithdrawalCancelled", withdrawal_id, data, **kw)


def deliver(engine: Engine, source: str, message: dict, attempt: int = 1):
    """Run one message through the cases consumer's processor, as the worker would."""
    processor = processors(service_spec(), settings("sqlite://"), engine)[source]
    subject = f"{source}.x.{message['type']}"
    return processor.process(subject, codec.dumpb(message), attempt)


def case_events(engine: Engine, case_id: str) -> list:
    with read_transaction(engine) as conn:
        return eventstore.read_stream(conn, case_id)


def count_events(engine: Engine, event_type: str) -> int:
    with read_transaction(engine) as conn:
        query = select(func.count()).select_from(events).where(events.c.type == event_type)
        return conn.execute(query).scalar_one()
