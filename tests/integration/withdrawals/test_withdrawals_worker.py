"""The worker against real NATS: accounts events build the snapshot, cases events move holds."""

import asyncio

import nats
from sqlalchemy import func, select
from withdrawals_support import TELLER, envelope, opened, registered, wd_settings, withdraw

from services.withdrawals import service_spec
from shared import codec, messaging
from shared.config import stream_name
from shared.db import read_transaction
from shared.eventstore import read_stream
from shared.ids import new_id
from shared.schema import inbox
from shared.testing.waiting import eventually
from shared.web.app import create_service_app
from shared.worker import run_worker

SOURCES = ("accounts", "cases")


def test_worker_records_account_facts_and_releases_a_hold_once(
    sqlite_url, nats_url, nats_namespace, clock
):
    ns = nats_namespace
    settings = wd_settings(sqlite_url, nats_url=nats_url, nats_namespace=ns)
    app = create_service_app(service_spec(), settings)
    app.extensions["warden"].clock = clock
    client, engine = app.test_client(), app.extensions["warden"].engine

    def consumed(source: str) -> int:
        with read_transaction(engine) as conn:
            query = select(func.count()).select_from(inbox)
            return conn.execute(
                query.where(inbox.c.consumer == f"withdrawals-from-{source}")
            ).scalar_one()

    def types(stream_id: str) -> list[str]:
        with read_transaction(engine) as conn:
            return [e.type for e in read_stream(conn, stream_id)]

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        streams = [await messaging.ensure_stream(js, ns, s) for s in SOURCES]
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(service_spec(), settings, stop))

        async def publish(source, aggregate, event_type, data, event_id=None):
            event_id = event_id or new_id()
            subject = f"{ns}{source}.{aggregate}.{event_type}"
            body = envelope(event_type, data, event_id)
            await js.publish(subject, body, headers={"Nats-Msg-Id": event_id})

        try:
            await publish("accounts", "customer", "CustomerRegistered", registered())
            await publish("accounts", "account", "AccountOpened", opened())
            assert await eventually(lambda: consumed("accounts") == 2)
            assert types("acctview-acc_1") == ["AccountFactsRecorded"]
            assert types("custview-cus_1") == ["CustomerFactsRecorded"]

            held = await asyncio.to_thread(
                lambda: withdraw(client, amount="20000.00", purpose="investment").get_json()
            )
            assert held["status"] == "held", held
            withdrawal_id = held["id"]
            case = {
                "case_id": "case_1",
                "case_type": "police_verification",
                "account_id": "acc_1",
                "customer_id": "cus_1",
                "withdrawal_id": withdrawal_id,
                "source_event_id": "x",
                "sla_due_at": "2026-11-20T04:00:00.000000Z",
                "summary": "",
            }
            await publish("cases", "case", "CaseOpened", case)
            confirmation = {
                "case_id": "case_1",
                "verification_id": "ver_1",
                "account_id": "acc_1",
                "withdrawal_id": withdrawal_id,
                "outcome": "cleared",
                "police_reference": "PSB-1",
                "officer": "Zhang",
                "notes": "",
            }
            for _ in range(2):  # the same confirmation twice, under two message ids
                await publish("cases", "case", "PoliceVerificationConfirmed", confirmation)
            assert await eventually(lambda: consumed("cases") == 3)

            # Our own events reach our stream through the relay.
            own = stream_name(ns, "withdrawals")
            subject = f"{ns}withdrawals.withdrawal.WithdrawalReleased"

            async def relayed():
                try:
                    return await js.get_last_msg(own, subject)
                except nats.js.errors.NotFoundError:
                    return None

            for _ in range(300):
                if message := await relayed():
                    break
                await asyncio.sleep(0.1)
            assert message is not None
            return withdrawal_id, codec.loads(message.data)
        finally:
            stop.set()
            await worker
            for name in [*streams, stream_name(ns, "withdrawals")]:
                await js.delete_stream(name)
            await nc.close()

    withdrawal_id, published = asyncio.run(scenario())
    assert types(withdrawal_id) == ["WithdrawalHeld", "WithdrawalCaseLinked", "WithdrawalReleased"]
    assert published["data"]["withdrawal_id"] == withdrawal_id
    assert published["data"]["police_reference"] == "PSB-1"
    assert published["correlation_id"] == "story-2"
    shown = client.get(f"/v1/withdrawals/{withdrawal_id}", headers=TELLER).get_json()
    assert (shown["status"], shown["case_id"]) == ("released", "case_1")
    engine.dispose()
