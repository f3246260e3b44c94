"""Two partitions of withdrawals side by side on one NATS (docs/scaling.md).

Each partition has its own database (log, relay checkpoint, inbox), its own stream
(WITHDRAWALS_NORTH, subjects withdrawals.north.>) and its own durable consumers
(withdrawals-north-from-accounts, …). Both read the shared ACCOUNTS and CASES streams; a case
event about the other partition's withdrawal is acknowledged and ignored. A consumer of
withdrawals (cases, here a stand-in) reads both partitions through the aggregate stream
WITHDRAWALS that sources them.
"""

import asyncio
from datetime import UTC, datetime

import nats
import pytest
from sqlalchemy import Column, String, Table, func, select
from web_support import SECRET, bearer
from withdrawals_support import envelope, opened, registered

from services.withdrawals import service_spec
from shared import codec, eventstore, messaging
from shared.config import Settings, SettingsError, load_settings, stream_name
from shared.db import make_engine, read_transaction
from shared.ids import new_id
from shared.nats_server import NatsProcess
from shared.projections import Projections
from shared.schema import inbox
from shared.service import ServiceSpec
from shared.testing.waiting import eventually
from shared.web.app import create_service_app
from shared.worker import run_worker


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory):
    """This module's own nats-server, from the wheel (2.15; production's version line).

    An aggregate stream that sources the partitions needs NATS 2.10 or later: on the 2.9.10
    this machine runs on 127.0.0.1:4222, under a full test run, the aggregate's source
    consumers sometimes started past the partitions' messages (lag 0, nothing copied), which
    docs/scaling.md records as the version floor for partitions.
    """
    server = NatsProcess(store_dir=str(tmp_path_factory.mktemp("nats"))).start()
    yield server.url
    server.stop()


NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, inside branch hours
TELLER = bearer("teller", "t-001", branch_id="HF-01")
PARTITIONS = ("north", "south")


def case_opened(case_id: str, account_id: str, withdrawal_id: str) -> dict:
    return {
        "case_id": case_id,
        "case_type": "police_verification",
        "account_id": account_id,
        "customer_id": "cus_1",
        "withdrawal_id": withdrawal_id,
        "source_event_id": "x",
        "sla_due_at": "2026-11-20T04:00:00.000000Z",
        "summary": "",
    }


def confirmed(case_id: str, account_id: str, withdrawal_id: str) -> dict:
    return {
        "case_id": case_id,
        "verification_id": f"ver_{case_id}",
        "account_id": account_id,
        "withdrawal_id": withdrawal_id,
        "outcome": "cleared",
        "police_reference": "PSB-1",
        "officer": "Zhang",
        "notes": "",
    }


class Partition:
    """One partition of withdrawals: its settings, its web app (for requests) and database."""

    def __init__(self, name: str, tmp_path, nats_url: str, namespace: str):
        self.name = name
        self.settings = Settings(
            service="withdrawals",
            database_url=f"sqlite:///{tmp_path}/withdrawals-{name}.db",
            nats_url=nats_url,
            nats_namespace=namespace,
            partition=name,
            jwt_secret=SECRET,
        )
        self.app = create_service_app(service_spec(), self.settings)
        self.app.extensions["warden"].clock = lambda: NOW
        self.client = self.app.test_client()
        self.engine = self.app.extensions["warden"].engine
        self.stop = asyncio.Event()
        self.worker: asyncio.Task | None = None

    def start(self) -> None:
        self.stop = asyncio.Event()
        self.worker = asyncio.create_task(run_worker(service_spec(), self.settings, self.stop))

    async def halt(self) -> None:
        self.stop.set()
        await self.worker

    def consumed(self, source: str) -> int:
        with read_transaction(self.engine) as conn:
            query = select(func.count()).select_from(inbox)
            name = f"withdrawals-{self.name}-from-{source}"
            return conn.execute(query.where(inbox.c.consumer == name)).scalar_one()

    def types(self, stream_id: str) -> list[str]:
        with read_transaction(self.engine) as conn:
            return [e.type for e in eventstore.read_stream(conn, stream_id)]

    def log_streams(self) -> set[str]:
        with read_transaction(self.engine) as conn:
            return {e.stream_id for e in eventstore.read_after(conn, 0, 10_000)}

    def hold(self, account_id: str) -> str:
        body = {
            "account_id": account_id,
            "amount": "20000.00",
            "currency": "CNY",
            "channel": "counter_cash",
            "purpose": "investment",
            "branch_id": "HF-01",
        }
        answer = self.client.post("/v1/withdrawals", json=body, headers=TELLER).get_json()
        assert answer["status"] == "held", answer
        return answer["id"]


async def stream_messages(js, stream: str) -> list:
    """Every message in a stream, oldest first."""
    info = await js.stream_info(stream)
    first, last = info.state.first_seq, info.state.last_seq
    return [await js.get_msg(stream, seq) for seq in range(first, last + 1) if last]


def test_two_partitions_of_withdrawals_share_one_nats_and_stay_apart(
    tmp_path, nats_url, nats_namespace
):
    ns = nats_namespace
    observed = Projections()
    seen = Table(
        "seen",
        observed.metadata,
        Column("event_id", String(40)),
        Column("withdrawal_id", String(40)),
    )

    def record(conn, env):
        conn.execute(seen.insert().values(event_id=env.event_id, withdrawal_id=env.stream_id))

    # What cases does with both partitions: one consumer of "withdrawals", reading both.
    downstream = ServiceSpec(
        name="observer",
        projections=observed,
        subscriptions={"withdrawals": {"WithdrawalHeld": record, "WithdrawalReleased": record}},
    )
    downstream_url = f"sqlite:///{tmp_path}/observer.db"
    downstream_settings = Settings(
        service="observer",
        database_url=downstream_url,
        nats_url=nats_url,
        nats_namespace=ns,
        source_partitions="withdrawals=north,south",
    )
    downstream_engine = make_engine(downstream_url)
    eventstore.create_schema(downstream_engine, observed.metadata)

    def downstream_seen() -> list[str]:
        with read_transaction(downstream_engine) as conn:
            return sorted(r.withdrawal_id for r in conn.execute(select(seen)))

    north, south = (Partition(p, tmp_path, nats_url, ns) for p in PARTITIONS)
    own = {p.name: stream_name(ns, "withdrawals", p.name) for p in (north, south)}
    shared_streams = [stream_name(ns, s) for s in ("accounts", "cases", "withdrawals")]

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        for source in ("accounts", "cases"):
            await messaging.ensure_stream(js, ns, source)
        downstream_stop = asyncio.Event()
        observer = asyncio.create_task(run_worker(downstream, downstream_settings, downstream_stop))

        async def publish(source, aggregate, event_type, data):
            event_id = new_id()
            subject = f"{ns}{source}.{aggregate}.{event_type}"
            await js.publish(
                subject,
                envelope(event_type, data, event_id, f"corr-{event_id}"),
                headers={"Nats-Msg-Id": event_id},
            )

        north.start()
        south.start()
        try:
            # Upstream accounts events reach every partition, each through its own durable.
            await publish("accounts", "customer", "CustomerRegistered", registered())
            for account_id in ("acc_n", "acc_s"):
                await publish("accounts", "account", "AccountOpened", opened(account_id))
            assert await eventually(lambda: north.consumed("accounts") == 3)
            assert await eventually(lambda: south.consumed("accounts") == 3)

            held_n = await asyncio.to_thread(north.hold, "acc_n")
            held_s = await asyncio.to_thread(south.hold, "acc_s")

            # Each relay publishes its log to its own stream, under its own subjects only.
            def held_in(name: str):
                async def check():
                    return [
                        codec.loads(m.data)["stream_id"]
                        for m in await stream_messages(js, own[name])
                        if m.subject.endswith(".WithdrawalHeld")
                    ]

                return check

            for name, mine in (("north", held_n), ("south", held_s)):
                assert await eventually_async(held_in(name)), f"{name} never relayed its hold"
                assert await held_in(name)() == [mine]
                messages = await stream_messages(js, own[name])
                assert all(m.subject.startswith(f"{ns}withdrawals.{name}.") for m in messages)
                other = held_s if mine == held_n else held_n
                assert other not in {codec.loads(m.data)["stream_id"] for m in messages}

            # The downstream consumer reads both partitions through the aggregate stream.
            both = sorted([held_n, held_s])
            arrived = await eventually(lambda: downstream_seen() == both, timeout=60)
            assert arrived, await aggregate_state(js, stream_name(ns, "withdrawals"))

            # North's worker stops; south goes on handling its case, and ignores north's.
            await north.halt()
            for withdrawal_id, account_id, case_id in (
                (held_n, "acc_n", "case_n"),
                (held_s, "acc_s", "case_s"),
            ):
                await publish(
                    "cases", "case", "CaseOpened", case_opened(case_id, account_id, withdrawal_id)
                )
                await publish(
                    "cases",
                    "case",
                    "PoliceVerificationConfirmed",
                    confirmed(case_id, account_id, withdrawal_id),
                )
            assert await eventually(lambda: south.consumed("cases") == 4)
            assert south.types(held_s)[-1] == "WithdrawalReleased"
            assert north.types(held_n) == ["WithdrawalHeld"]  # nothing reached a stopped worker
            cases_stream = stream_name(ns, "cases")
            waiting = await js.consumer_info(cases_stream, "withdrawals-north-from-cases")
            assert waiting.num_pending == 4  # kept for north on its own durable

            # North comes back and catches up from its durable; south is untouched by it.
            north.start()
            assert await eventually(lambda: north.consumed("cases") == 4)
            assert await eventually(lambda: north.types(held_n)[-1] == "WithdrawalReleased")
            assert await eventually(
                lambda: downstream_seen() == sorted([held_n, held_n, held_s, held_s])
            )
            durables = {c.name for c in await js.consumers_info(cases_stream)}
            released_in_streams = {
                n: [
                    codec.loads(m.data)["data"]["withdrawal_id"]
                    for m in await stream_messages(js, own[n])
                    if m.subject.endswith(".WithdrawalReleased")
                ]
                for n in PARTITIONS
            }
            return (held_n, held_s), durables, released_in_streams
        finally:
            for partition in (north, south):
                if not partition.stop.is_set():
                    await partition.halt()
            downstream_stop.set()
            await observer
            for name in [*own.values(), *shared_streams]:
                await js.delete_stream(name)
            await nc.close()

    (held_n, held_s), durables, released = asyncio.run(scenario())
    assert {"withdrawals-north-from-cases", "withdrawals-south-from-cases"} <= durables
    assert released == {"north": [held_n], "south": [held_s]}
    # Neither log holds anything of the other's withdrawal.
    assert held_s not in north.log_streams() and held_n not in south.log_streams()
    assert north.types(held_n) == ["WithdrawalHeld", "WithdrawalCaseLinked", "WithdrawalReleased"]
    assert south.types(held_s) == ["WithdrawalHeld", "WithdrawalCaseLinked", "WithdrawalReleased"]
    for partition in (north, south):
        partition.engine.dispose()
    downstream_engine.dispose()


async def aggregate_state(js, aggregate: str) -> str:
    """What the aggregate stream and its consumer hold, for a failure message."""
    info = await js.stream_info(aggregate)
    sources = [(s.name, s.lag, s.active, s.error) for s in info.sources or []]
    consumers = [
        (c.name, c.num_pending, c.num_ack_pending, c.delivered.stream_seq)
        for c in [await js.consumer_info(aggregate, "observer-from-withdrawals")]
    ]
    return f"aggregate {aggregate}: {info.state.messages} messages, {sources=}, {consumers=}"


async def eventually_async(check, timeout: float = 30.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WARDEN_WITHDRAWALS_PARTITION", "North"),
        ("WARDEN_WITHDRAWALS_PARTITION", "north.1"),
        ("WARDEN_WITHDRAWALS_PARTITION", "a" * 33),
        ("WARDEN_WITHDRAWALS_PARTITION", "-north"),
        ("WARDEN_SOURCE_PARTITIONS", "withdrawals"),
        ("WARDEN_SOURCE_PARTITIONS", "withdrawals=north,north"),
        ("WARDEN_SOURCE_PARTITIONS", "withdrawals=north,"),
        ("WARDEN_SOURCE_PARTITIONS", "withdrawals=a;withdrawals=b"),
    ],
)
def test_partition_settings_are_refused_unless_they_fit_a_subject(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings("withdrawals")


def test_partition_names_the_stream_subjects_and_durables(monkeypatch):
    monkeypatch.setenv("WARDEN_WITHDRAWALS_PARTITION", "north-2")
    monkeypatch.setenv("WARDEN_SOURCE_PARTITIONS", "withdrawals=north-2,south")
    settings = load_settings("withdrawals", {"nats_namespace": "t1."})
    assert settings.stream_name() == "T1_WITHDRAWALS_NORTH-2"
    assert settings.stream_name("accounts") == "T1_ACCOUNTS"
    assert settings.subject("withdrawal", "WithdrawalHeld") == (
        "t1.withdrawals.north-2.withdrawal.WithdrawalHeld"
    )
    assert messaging.stream_config("t1.", "withdrawals", 1, "north-2").subjects == [
        "t1.withdrawals.north-2.>"
    ]
    assert settings.partitions_of("withdrawals") == ("north-2", "south")
    assert settings.partitions_of("accounts") == ()
    cases = load_settings("cases")  # the partition setting is withdrawals' alone
    assert cases.partition == ""
    assert cases.subject("case", "CaseOpened") == "cases.case.CaseOpened"


def test_adding_a_partition_updates_the_aggregate_and_an_unpartitioned_stream_is_refused(
    nats_url, nats_namespace
):
    ns = nats_namespace

    async def scenario():
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        names = [stream_name(ns, "withdrawals", p) for p in ("north", "south", "east")]
        aggregate = stream_name(ns, "withdrawals")
        try:
            await messaging.ensure_source_stream(js, ns, "withdrawals", ("north", "south"))
            # A worker of an unpartitioned withdrawals would claim withdrawals.>: refused loudly.
            with pytest.raises(nats.js.errors.BadRequestError, match="overlap"):
                await messaging.ensure_stream(js, ns, "withdrawals")
            # A consumer restarted with a third partition in WARDEN_SOURCE_PARTITIONS.
            await messaging.ensure_source_stream(js, ns, "withdrawals", ("north", "south", "east"))
            info = await js.stream_info(aggregate)
            await js.publish(f"{ns}withdrawals.east.withdrawal.WithdrawalHeld", b"{}")

            async def sourced():
                return (await js.stream_info(aggregate)).state.messages == 1

            return (
                [s.name for s in info.config.sources],
                info.config.subjects,
                await eventually_async(sourced),
            )
        finally:
            for name in [*names, aggregate]:
                await js.delete_stream(name)
            await nc.close()

    sources, subjects, arrived = asyncio.run(scenario())
    assert sources == [stream_name(ns, "withdrawals", p) for p in ("north", "south", "east")]
    assert not subjects  # the aggregate takes no publishes of its own
    assert arrived, "the new partition's message never reached the aggregate"
