"""The cases worker against real NATS: a hold published three times still makes one case."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import nats
from cases_support import SECRET, count_events, withdrawal_held
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from services.cases import service_spec
from services.cases.projections import cases
from shared import codec, messaging
from shared.config import Settings, stream_name
from shared.db import make_engine, read_transaction
from shared.worker import consumer_name, run_worker


async def _consumed(js, stream: str, durable: str, expected: int, timeout: float = 30) -> bool:
    """True once the durable consumer has delivered `expected` messages and has none in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(NotFoundError):
            info = await js.consumer_info(stream, durable)
            if (
                info.delivered.stream_seq >= expected
                and info.num_ack_pending == 0
                and info.num_pending == 0
            ):
                return True
        await asyncio.sleep(0.1)
    return False


async def _last_on(js, stream: str, subject: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(NotFoundError):
            return await js.get_last_msg(stream, subject)
        await asyncio.sleep(0.1)
    return None


def test_a_hold_published_three_times_opens_one_case_and_the_case_is_relayed(
    database_url, nats_url, nats_namespace
):
    ns = nats_namespace
    settings = Settings(
        service="cases",
        database_url=database_url,
        nats_url=nats_url,
        nats_namespace=ns,
        jwt_secret=SECRET,
    )
    held = withdrawal_held(occurred_at=datetime.now(UTC))
    engine = make_engine(database_url)

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        source = await messaging.ensure_stream(js, ns, "withdrawals")
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(service_spec(), settings, stop))
        try:
            for copy in range(3):  # three publishes JetStream cannot deduplicate
                await js.publish(
                    f"{ns}withdrawals.withdrawal.WithdrawalHeld",
                    codec.dumpb(held),
                    headers={"Nats-Msg-Id": f"{held['event_id']}-{copy}"},
                )
            consumed = await _consumed(js, source, consumer_name("cases", "withdrawals"), 3)
            relayed = await _last_on(js, stream_name(ns, "cases"), f"{ns}cases.case.CaseOpened")
            return consumed, relayed
        finally:
            stop.set()
            await worker
            for service in ("withdrawals", "cases", "accounts"):
                with contextlib.suppress(NotFoundError):
                    await js.delete_stream(stream_name(ns, service))
            await nc.close()

    try:
        consumed, relayed = asyncio.run(scenario())
        assert consumed, "the cases worker never consumed the three copies"
        assert relayed is not None, "CaseOpened never reached the CASES stream"
        assert relayed.headers["Nats-Msg-Id"] == codec.loads(relayed.data)["event_id"]
        assert codec.loads(relayed.data)["data"]["source_event_id"] == held["event_id"]
        assert count_events(engine, "CaseOpened") == 1
        with read_transaction(engine) as conn:
            assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 1
    finally:
        engine.dispose()
