"""A stopping relay flushes: events appended just before the stop are published, not left for
the next relay (`warden up` stops the webs first, so their last events go out with this one)."""

import asyncio

import nats
from ledger_domain import make_ledgers

from shared import eventstore, messaging
from shared.config import Settings
from shared.db import make_engine
from shared.relay import Relay
from shared.testing.waiting import eventually


def test_a_stopping_relay_publishes_what_was_appended_just_before_the_stop(
    sqlite_url, nats_url, nats_namespace
):
    source = make_engine(sqlite_url)
    eventstore.create_schema(source)
    # A long poll: after its first round the relay sleeps until stopped, so only the flush on
    # stop can publish what comes later.
    settings = Settings(
        service="ledger",
        database_url="unused",
        nats_url=nats_url,
        nats_namespace=nats_namespace,
        relay_poll_seconds=60.0,
    )
    make_ledgers(source, 1, prefix="A")  # 2 events

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        stream = await messaging.ensure_stream(js, nats_namespace, "ledger")
        try:
            relay, stop = Relay(source, js, settings, "me"), asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            assert await eventually(lambda: relay.published == 2, 10)
            await asyncio.sleep(0.2)  # into its long wait
            make_ledgers(source, 1, prefix="B")  # 2 more, then stop at once
            stop.set()
            await asyncio.wait_for(task, 15)
            return relay.published, (await js.stream_info(stream)).state.messages
        finally:
            await js.delete_stream(messaging.stream_config(nats_namespace, "ledger").name)
            await nc.close()

    try:
        assert asyncio.run(scenario()) == (4, 4)
    finally:
        source.dispose()
