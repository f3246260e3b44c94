"""The accounts worker against real NATS: withdrawals' and cases' events move accounts."""

import asyncio
from datetime import UTC, datetime

import nats
import pytest
from accounts_support import (
    Clock,
    account_events,
    bearer,
    case_resolved,
    make_app,
    open_account,
    police_confirmed,
    register,
    withdrawal_held,
)

from services.accounts import service_spec
from shared import codec, eventstore, messaging
from shared.config import stream_name
from shared.db import read_transaction
from shared.worker import consumer_name, run_worker

UNSIGNED = [{"type": "employment_proof", "employer": "Hefei Tech Co"}]


@pytest.fixture
def app(database_url, nats_url, nats_namespace):
    # The worker's timers use the real clock, so the accounts are made at the real time too.
    clock = Clock(datetime.now(UTC))
    app = make_app(database_url, clock, nats_url=nats_url, nats_namespace=nats_namespace)
    yield app
    app.extensions["warden"].engine.dispose()


def open_accounts(client) -> dict:
    def customer(n):
        return register(client, id_number=f"34010419800101100{n}")["id"]

    return {
        "held": open_account(client, customer(1))["id"],
        "reviewed": open_account(client, customer(2), documents=UNSIGNED)["id"],
        "victim": open_account(client, customer(3))["id"],
        "suspect": open_account(client, customer(4))["id"],
    }


async def publish(js, namespace: str, source: str, envelope: dict, msg_id: str) -> None:
    subject = f"{namespace}{source}.x.{envelope['type']}"
    await js.publish(subject, codec.dumpb(envelope), headers={"Nats-Msg-Id": msg_id})


async def drained(js, namespace: str, source: str, published: int) -> bool:
    """The accounts consumer has acknowledged every message published on `source`."""
    try:
        info = await js.consumer_info(
            stream_name(namespace, source), consumer_name("accounts", source)
        )
    except Exception:
        return False
    return (
        info.delivered.stream_seq >= published
        and info.num_ack_pending == 0
        and not info.num_pending
    )


def test_worker_consumes_holds_once_and_case_outcomes(app, nats_url, nats_namespace):
    client = app.test_client()
    ids = open_accounts(client)
    now = app.extensions["warden"].clock.now
    held = withdrawal_held(ids["held"], "wd_1", now)
    cases = [
        case_resolved(ids["reviewed"], "case_1", "approved", now),
        police_confirmed(ids["victim"], "case_2", "fraud_victim", now),
        police_confirmed(ids["suspect"], "case_3", "fraud_suspect", now),
    ]
    settings = app.extensions["warden"].settings
    ns = nats_namespace

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        for source in ("withdrawals", "cases"):
            await messaging.ensure_stream(js, ns, source)
        # The same event twice under two message ids: JetStream delivers both.
        await publish(js, ns, "withdrawals", held, "first")
        await publish(js, ns, "withdrawals", held, "second")
        for envelope in cases:
            await publish(js, ns, "cases", envelope, envelope["event_id"])
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(service_spec(), settings, stop))
        try:
            assert await until(lambda: drained(js, ns, "withdrawals", 2)), "holds never consumed"
            assert await until(lambda: drained(js, ns, "cases", 3)), "cases never consumed"
            # The worker's relay publishes what the handlers appended to the accounts stream.
            logged = await asyncio.to_thread(head_position, app)
            assert await until(lambda: stream_holds(js, stream_name(ns, "accounts"), logged))
        finally:
            stop.set()
            await worker
            for source in ("accounts", "withdrawals", "cases"):
                await js.delete_stream(stream_name(ns, source))
            await nc.close()

    asyncio.run(scenario())
    shown = {name: _get(client, account_id) for name, account_id in ids.items()}
    tiers = [e for e in account_events(app, ids["held"]) if e.type == "RiskTierChanged"]
    assert len(tiers) == 1 and tiers[0].data["to_tier"] == "MEDIUM"
    assert shown["held"]["risk_tier"] == "MEDIUM"
    assert (shown["reviewed"]["status"], shown["reviewed"]["risk_tier"]) == ("active", "MEDIUM")
    assert shown["victim"]["risk_tier"] == "HIGH"
    assert [r["type"] for r in shown["victim"]["restrictions"]] == ["non_counter_suspended"]
    assert shown["suspect"]["risk_tier"] == "RESTRICTED"
    assert [r["type"] for r in shown["suspect"]["restrictions"]] == ["freeze"]


def _get(client, account_id):
    return client.get(f"/v1/accounts/{account_id}", headers=bearer("auditor")).get_json()


async def until(condition, timeout: float = 30.0) -> bool:
    """Poll an async condition until it holds; False after `timeout` (no fixed sleeps)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def stream_holds(js, stream: str, messages: int) -> bool:
    return (await js.stream_info(stream)).state.messages == messages


def head_position(app) -> int:
    with read_transaction(app.extensions["warden"].engine) as conn:
        return eventstore.head_position(conn)
