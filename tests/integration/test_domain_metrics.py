"""Each service's read-model gauges reach its /metrics, grouped as operators ask for them."""

import itertools
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, insert

import services.cases
import services.notify
import services.withdrawals
from shared.db import write_transaction

SEQUENCE = itertools.count(1)


def row(table, **values) -> dict:
    """`values`, and a plausible value for every other required column."""
    filled = dict(values)
    for column in table.columns:
        if column.name in filled or (column.nullable and not column.primary_key):
            continue
        kind = type(column.type)
        if issubclass(kind, BigInteger | Integer):
            filled[column.name] = next(SEQUENCE)
        elif issubclass(kind, Boolean):
            filled[column.name] = False
        elif issubclass(kind, DateTime):
            filled[column.name] = datetime.now(UTC)
        elif issubclass(kind, JSON):
            filled[column.name] = {}
        else:
            text = f"{column.name}-{next(SEQUENCE)}"
            filled[column.name] = text[-(getattr(column.type, "length", None) or len(text)) :]
    return filled


@pytest.fixture
def app_for(database_url):
    apps = []

    def build(module, rows: dict[str, list[dict]]):
        app = module.create_app({"database_url": database_url})
        apps.append(app)
        state = app.extensions["warden"]
        tables = state.spec.projections.metadata.tables
        with write_transaction(state.engine) as conn:
            for name, values in rows.items():
                for value in values:
                    conn.execute(insert(tables[name]).values(row(tables[name], **value)))
        return app.test_client()

    yield build
    for app in apps:
        app.extensions["warden"].engine.dispose()


def gauges(client, prefix: str) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith(prefix)
    }


def test_withdrawals_by_status_and_reason(app_for):
    held = {"status": "held", "reasons": ["elderly_large_cash", "new_payee"]}
    client = app_for(
        services.withdrawals,
        {
            "wd_withdrawals": [
                held,
                {**held, "reasons": ["elderly_large_cash"]},
                {"status": "approved", "reasons": []},
                {"status": "rejected", "reasons": ["account_frozen"]},
            ]
        },
    )
    assert gauges(client, "warden_withdrawal") == {
        ("warden_withdrawals", (("status", "approved"),)): 1,
        ("warden_withdrawals", (("status", "held"),)): 2,
        ("warden_withdrawals", (("status", "rejected"),)): 1,
        ("warden_withdrawal_reasons", (("reason", "elderly_large_cash"), ("status", "held"))): 2,
        ("warden_withdrawal_reasons", (("reason", "new_payee"), ("status", "held"))): 1,
        ("warden_withdrawal_reasons", (("reason", "account_frozen"), ("status", "rejected"))): 1,
    }


def test_cases_by_status_queue_and_sla_and_police_outcomes(app_for):
    case = {"status": "open", "queue": "investigators", "sla_state": "ok"}
    client = app_for(
        services.cases,
        {
            "cases": [
                case,
                {**case, "sla_state": "warning"},
                {
                    **case,
                    "status": "awaiting_police",
                    "queue": "supervisors",
                    "sla_state": "breached",
                },
                {**case, "status": "closed", "sla_state": "breached"},
            ],
            "case_verifications": [
                {"status": "pending"},
                {"status": "confirmed", "outcome": "fraud_confirmed"},
            ],
        },
    )
    found = gauges(client, "warden_")
    investigators, supervisors = ("queue", "investigators"), ("queue", "supervisors")
    assert found[("warden_cases", (investigators, ("status", "open")))] == 2
    assert found[("warden_cases", (investigators, ("status", "closed")))] == 1
    assert found[("warden_cases", (supervisors, ("status", "awaiting_police")))] == 1
    assert found[("warden_cases_sla", (investigators, ("sla_state", "ok")))] == 1
    assert found[("warden_cases_sla", (investigators, ("sla_state", "warning")))] == 1
    assert found[("warden_cases_sla", (supervisors, ("sla_state", "breached")))] == 1
    assert ("warden_cases_sla", (investigators, ("sla_state", "breached"))) not in found
    verified = (("outcome", "fraud_confirmed"), ("status", "confirmed"))
    assert found[("warden_police_verifications", verified)] == 1
    assert found[("warden_police_verifications", (("outcome", ""), ("status", "pending")))] == 1


def test_notifications_by_channel_and_status(app_for):
    client = app_for(
        services.notify,
        {
            "notify_notifications": [
                {"channel": "sms", "status": "delivered"},
                {"channel": "sms", "status": "delivered"},
                {"channel": "email", "status": "failed"},
                {"channel": None, "status": "suppressed"},
            ]
        },
    )
    assert gauges(client, "warden_notifications") == {
        ("warden_notifications", (("channel", "sms"), ("status", "delivered"))): 2,
        ("warden_notifications", (("channel", "email"), ("status", "failed"))): 1,
        ("warden_notifications", (("channel", ""), ("status", "suppressed"))): 1,
    }
