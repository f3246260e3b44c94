"""One source event, one notification: however often it is delivered, with real NATS too."""

import asyncio
import contextlib
import json

import nats
from nats.js.errors import NotFoundError
from notify_support import Notify, held, make_envelope, notify_settings
from sqlalchemy import func, select

from services.notify import service_spec
from shared import checkpoints, messaging
from shared.config import stream_name
from shared.db import read_transaction
from shared.schema import events, inbox
from shared.testing.waiting import eventually
from shared.worker import run_worker


def test_the_handler_itself_makes_one_notification_per_source_event(database_url):
    """Even past the consumer's inbox (a replayed dead letter, say), the id decides."""
    notify = Notify(notify_settings(database_url))
    try:
        notify.register("c1")
        source = notify.deliver("WithdrawalHeld", held("c1"))
        for _ in range(3):
            notify.deliver("WithdrawalHeld", source.data, event_id=source.event_id)
        (row,) = notify.notifications()
        assert row["id"] == f"ntf_{source.event_id}"
        assert [e.type for e in notify.events(row["id"])] == ["NotificationRequested"]
    finally:
        notify.close()


def test_a_withdrawal_held_published_three_times_makes_one_notification(
    sqlite_url, nats_url, nats_namespace
):
    settings = notify_settings(sqlite_url, nats_url=nats_url, nats_namespace=nats_namespace)
    notify = Notify(settings)
    notify.register("c1")
    source = make_envelope("WithdrawalHeld", held("c1"))
    body = {
        "event_id": source.event_id,
        "type": "WithdrawalHeld",
        "schema_version": 1,
        "stream_id": source.stream_id,
        "version": 1,
        "position": 7,
        "occurred_at": source.occurred_at,
        "correlation_id": source.correlation_id,
        "causation_id": None,
        "actor": {"role": "teller", "sub": "t-1"},
        "data": source.data,
    }
    notification_id = f"ntf_{source.event_id}"
    subject = f"{nats_namespace}withdrawals.withdrawal.WithdrawalHeld"
    withdrawals = stream_name(nats_namespace, "withdrawals")

    def status():
        rows = [r for r in notify.notifications() if r["id"] == notification_id]
        return rows[0]["status"] if rows else None

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        await messaging.ensure_stream(js, nats_namespace, "withdrawals")
        payload = json.dumps(body).encode()
        for attempt in range(3):  # new Msg-Ids: as if re-sent after the duplicate window
            await js.publish(
                subject, payload, headers={"Nats-Msg-Id": f"{source.event_id}-{attempt}"}
            )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(service_spec(settings), settings, stop))
        try:

            async def acknowledged():
                info = await js.consumer_info(withdrawals, "notify-from-withdrawals")
                return info.ack_floor.stream_seq >= 3 and info.num_pending == 0

            async def all_acked():
                deadline = asyncio.get_running_loop().time() + 30
                while asyncio.get_running_loop().time() < deadline:
                    try:
                        if await acknowledged():
                            return True
                    except NotFoundError:  # the worker has not created its consumer yet
                        pass
                    await asyncio.sleep(0.1)
                return False

            assert await all_acked()
            assert await eventually(lambda: status() == "delivered")
            relayed = await eventually(lambda: _published(notify, "NotificationDelivered"))
            return relayed
        finally:
            stop.set()
            await worker
            for service in ("withdrawals", "accounts", "notify"):
                with contextlib.suppress(NotFoundError):
                    await js.delete_stream(stream_name(nats_namespace, service))
            await nc.close()

    try:
        assert asyncio.run(scenario())
        assert len([r for r in notify.notifications() if r["id"] == notification_id]) == 1
        with read_transaction(notify.engine) as conn:
            requested = conn.execute(
                select(func.count())
                .select_from(events)
                .where(
                    events.c.type == "NotificationRequested", events.c.stream_id == notification_id
                )
            ).scalar_one()
            inbox_rows = conn.execute(
                select(func.count()).select_from(inbox).where(inbox.c.event_id == source.event_id)
            ).scalar_one()
        assert (requested, inbox_rows) == (1, 1)
        types = [e.type for e in notify.events(notification_id)]
        assert types == ["NotificationRequested", "NotificationSent", "NotificationDelivered"]
    finally:
        notify.close()


def _published(notify: Notify, event_type: str) -> bool:
    """The relay moved its checkpoint past the delivery event: it went out on NOTIFY."""
    with read_transaction(notify.engine) as conn:
        position = checkpoints.get(conn, "relay")
        last = conn.execute(
            select(func.max(events.c.position)).where(events.c.type == event_type)
        ).scalar()
    return last is not None and position >= last
