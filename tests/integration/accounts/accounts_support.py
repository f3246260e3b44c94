"""The accounts app on a test database, tokens for every role, and a few calls tests repeat."""

from dataclasses import replace
from datetime import UTC, datetime

from services.accounts import service_spec
from shared import eventstore
from shared.config import Settings
from shared.db import read_transaction
from shared.envelope import iso
from shared.ids import new_id
from shared.ports import free_port
from shared.tokens import ROLES, mint_token
from shared.web.app import create_service_app

SECRET = "accounts-test-secret-of-at-least-32-bytes"
START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BRANCH = "HF-01"
OTHER_BRANCH = "HF-02"


class Clock:
    """The app's clock, moved by the test: no sleeping, no real time in assertions."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings(database_url: str, **overrides) -> Settings:
    values = {
        "service": "accounts",
        "database_url": database_url,
        "nats_url": f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        "jwt_secret": SECRET,
    }
    return replace(Settings(**values), **overrides)


def make_app(database_url: str, clock: Clock | None = None, **overrides):
    app = create_service_app(service_spec(), settings(database_url, **overrides))
    app.extensions["warden"].clock = clock or Clock()
    return app


def bearer(role: str = "teller", sub: str | None = None, **claims) -> dict:
    if role == "teller":
        claims.setdefault("branch_id", BRANCH)
    if role == "police_liaison":
        claims.setdefault("police_unit", "PSB-HF-001")
    token = mint_token(SECRET, sub or f"{role}-1", role, **claims)
    return {"Authorization": f"Bearer {token}"}


ALL_ROLES = ROLES


def customer_body(**changes) -> dict:
    body = {
        "name": "王小明",
        "id_type": "resident_id",
        "id_number": "340104198001011234",
        "birth_date": "1980-01-01",
        "phone": "13800001234",
        "email": "wang@example.com",
        "occupation": "engineer",
        "employer": "Hefei Tech Co",
        "preferred_language": "zh-CN",
    }
    return {**body, **changes}


def account_body(customer_id: str, **changes) -> dict:
    body = {
        "customer_id": customer_id,
        "account_class": "I",
        "purpose": "salary",
        "purpose_detail": "monthly salary",
        "channel": "counter",
        "branch_id": BRANCH,  # a teller names their own branch (bearer() gives them BRANCH)
        "documents": [
            {"type": "employment_proof", "employer": "Hefei Tech Co", "signed_on": "2026-10-01"}
        ],
    }
    return {**body, **changes}


def register(client, **changes) -> dict:
    response = client.post("/v1/customers", json=customer_body(**changes), headers=bearer())
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_account(client, customer_id: str, headers=None, **changes) -> dict:
    response = client.post(
        "/v1/accounts", json=account_body(customer_id, **changes), headers=headers or bearer()
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def envelope(type_: str, data: dict, stream_id: str, occurred_at: datetime, **fields) -> dict:
    """Another service's event as its relay would publish it (DOMAIN §4)."""
    event_id = fields.pop("event_id", None) or new_id()
    return {
        "event_id": event_id,
        "type": type_,
        "schema_version": 1,
        "stream_id": stream_id,
        "version": fields.pop("version", 1),
        "position": fields.pop("position", 1),
        "occurred_at": iso(occurred_at),
        "correlation_id": fields.pop("correlation_id", event_id),
        "causation_id": None,
        "actor": fields.pop("actor", {"role": "system", "sub": "warden"}),
        "data": data,
    }


def withdrawal_held(account_id: str, withdrawal_id: str, at: datetime, **fields) -> dict:
    data = {
        "withdrawal_id": withdrawal_id,
        "account_id": account_id,
        "customer_id": "cus_x",
        "amount": "80000.00",
        "currency": "CNY",
        "channel": "counter_cash",
        "purpose": "investment",
        "status": "held",
        "reasons": ["ELDERLY_LARGE_CASH", "RISKY_PURPOSE"],
    }
    return envelope("WithdrawalHeld", data, withdrawal_id, at, **fields)


def case_resolved(account_id: str, case_id: str, outcome: str, at: datetime, **fields) -> dict:
    data = {
        "case_id": case_id,
        "case_type": fields.pop("case_type", "due_diligence_review"),
        "account_id": account_id,
        "withdrawal_id": None,
        "outcome": outcome,
        "reason": fields.pop("reason", "documents checked"),
        "resolved_by": "inv-1",
    }
    return envelope("CaseResolved", data, case_id, at, **fields)


def police_confirmed(account_id: str, case_id: str, outcome: str, at: datetime) -> dict:
    data = {
        "case_id": case_id,
        "verification_id": "ver_1",
        "account_id": account_id,
        "withdrawal_id": "wd_1",
        "outcome": outcome,
        "police_reference": f"PSB-HF-001/{case_id}",
        "officer": "Officer Zhang",
        "notes": "",
    }
    actor = {"role": "police_liaison", "sub": "pl-001"}
    return envelope("PoliceVerificationConfirmed", data, case_id, at, actor=actor)


def restriction_requested(account_id: str, case_id: str, at: datetime, **changes) -> dict:
    data = {
        "case_id": case_id,
        "account_id": account_id,
        "type": "stop_payment",
        "reason": "suspected mule",
        "expires_at": None,
        "requested_by": "inv-7",
        **changes,
    }
    return envelope("AccountRestrictionRequested", data, case_id, at)


def account_events(app, account_id: str) -> list:
    with read_transaction(app.extensions["warden"].engine) as conn:
        return eventstore.read_stream(conn, account_id)
