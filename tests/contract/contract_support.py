"""Each service's live OpenAPI document, fuzzed by schemathesis with a token per role.

The documents are read at collection from apps on a throwaway SQLite file (schemathesis
parametrizes at import); the requests go to apps on the test's own database, SQLite or
PostgreSQL. Every check schemathesis has runs, and every role an operation names in its
`x-roles` calls it with the same generated request.
"""

import importlib
import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis
import schemathesis
from hypothesis import HealthCheck
from schemathesis.core.parameters import ParameterLocation

from shared.tokens import mint_token

SECRET = "contract-test-secret-of-at-least-32-bytes"
SERVICES = ("accounts", "withdrawals", "cases", "notify")
BRANCH = "HF-01"
POLICE_UNIT = "PSB-HF-001"
# Examples per operation and generation mode; WARDEN_CONTRACT_EXAMPLES=500 for the full depth.
EXAMPLES = int(os.environ.get("WARDEN_CONTRACT_EXAMPLES", "50"))


def make_app(service: str, database_url: str):
    module = importlib.import_module(f"services.{service}")
    return module.create_app(
        {
            "database_url": database_url,
            "jwt_secret": SECRET,
            "nats_url": "nats://127.0.0.1:9",  # the web never talks to NATS
        }
    )


def load_schema(service: str):
    """The service's document as its app serves it, ready for `@schema.parametrize()`."""
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(service, f"sqlite:///{Path(folder) / 'spec.db'}")
        document = app.test_client().get("/openapi.json").get_json()
        app.extensions["warden"].engine.dispose()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(modes=["positive", "negative"])
    return schema


def token_headers(role: str) -> dict:
    claims = {"branch_id": BRANCH} if role == "teller" else {}
    if role == "police_liaison":
        claims["police_unit"] = POLICE_UNIT
    return {"Authorization": f"Bearer {mint_token(SECRET, f'{role}-1', role, **claims)}"}


def roles_of(case) -> list[str]:
    return list(case.operation.definition.raw.get("x-roles") or ["system"])


def check_case(case, app) -> None:
    """Send the case once per role that may call it; every schemathesis check must pass."""
    # Every request, the checks' own probes included, goes to this app in process.
    case.operation.app = case.operation.schema.app = app
    if not _is_negative(case):
        _keep_positive(case)
    if _withholds_the_token(case):  # the negative case is "no Authorization": send none
        case.call_and_validate()
        return
    for role in roles_of(case):
        if not _is_negative(case) and case.headers and "Idempotency-Key" in case.headers:
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        case.call_and_validate(headers=token_headers(role))


def _withholds_the_token(case) -> bool:
    return (
        case.meta is not None
        and case.meta.is_negative_at(ParameterLocation.HEADER)
        and "Authorization" not in (case.headers or {})
    )


def _is_negative(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


# Rules on the clock that JSON Schema cannot state: the latest and earliest value allowed.
NOT_IN_FUTURE = {"birth_date"}
NOT_IN_PAST = {"expires_at", "date"}


def _keep_positive(case) -> None:
    """What a schema cannot say, made true for positive requests.

    A cursor is only ever one the service issued: a generated string is a well-formed
    cursor no service issued, answered 422, so positive requests start at the first page.
    Dates relative to today (a birth date, an expiry, an appointment's day) are moved to
    the side of today they must be on. Negative requests keep all of it as generated.
    """
    if case.query:
        case.query.pop("cursor", None)
    if isinstance(case.body, dict):
        today = datetime.now(UTC).date()
        for name in NOT_IN_FUTURE & case.body.keys():
            if isinstance(case.body[name], str) and case.body[name][:10] > today.isoformat():
                case.body[name] = "1970-01-01"
        for name in NOT_IN_PAST & case.body.keys():
            value = case.body[name]
            if isinstance(value, str) and value[:10] <= (today + timedelta(days=1)).isoformat():
                case.body[name] = "2099-12-31" + value[10:]


def fuzz_settings(test):
    return hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(test)
