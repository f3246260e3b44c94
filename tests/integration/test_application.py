"""Load, fold and decide on a read; append and project in one write transaction; both backends."""

import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_domain import LEDGER, decide_move, decide_open
from sqlalchemy import Column, Integer, String, Table, select

from shared import eventstore, guards
from shared.application import execute, read_then_write
from shared.db import make_engine, read_transaction, write_transaction
from shared.envelope import Actor, Context
from shared.ids import new_id
from shared.projections import Projections

CTX = Context(Actor("teller", "t-1"), datetime(2026, 1, 1, tzinfo=UTC), "corr")


def ledger_projections() -> Projections:
    projections = Projections()
    balances = Table(
        "balances",
        projections.metadata,
        Column("ledger_id", String(64), primary_key=True),
        Column("fen", Integer, nullable=False),
    )

    @projections.on("LedgerOpened")
    def opened(conn, event):
        conn.execute(balances.insert().values(ledger_id=event.stream_id, fen=0))

    @projections.on("AmountDeposited", "AmountWithdrawn")
    def moved(conn, event):
        sign = 1 if event.type == "AmountDeposited" else -1
        conn.execute(
            balances.update()
            .where(balances.c.ledger_id == event.stream_id)
            .values(fen=balances.c.fen + sign * event.data["fen"])
        )

    return projections


@pytest.fixture
def projections():
    return ledger_projections()


@pytest.fixture
def engine(database_url, projections):
    engine = make_engine(database_url)
    eventstore.create_schema(engine, projections.metadata)
    yield engine
    engine.dispose()


def balance(engine, projections, ledger_id):
    table = projections.metadata.tables["balances"]
    with read_transaction(engine) as conn:
        return conn.execute(select(table.c.fen).where(table.c.ledger_id == ledger_id)).scalar()


def test_command_appends_and_projection_reads_its_own_write(engine, projections):
    execute(engine, LEDGER, "L1", decide_open, CTX, projections)
    outcome = execute(engine, LEDGER, "L1", decide_move(500), CTX, projections)
    assert outcome.state.balance == 500 and outcome.version == 2
    assert balance(engine, projections, "L1") == 500


def test_failed_decision_appends_nothing_and_projects_nothing(engine, projections):
    with pytest.raises(ValueError):
        execute(engine, LEDGER, "L1", decide_move(5), CTX, projections)
    with read_transaction(engine) as conn:
        assert eventstore.read_stream(conn, "L1") == []
    assert balance(engine, projections, "L1") is None


def test_racing_commands_all_land_through_bounded_retries(engine, projections):
    execute(engine, LEDGER, "L1", decide_open, CTX, projections)
    barrier = threading.Barrier(4)
    errors = []

    def deposit():
        barrier.wait()
        for _ in range(5):
            try:
                execute(engine, LEDGER, "L1", decide_move(1), CTX, projections, attempts=50)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=deposit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert balance(engine, projections, "L1") == 20
    with read_transaction(engine) as conn:
        assert len(eventstore.read_stream(conn, "L1")) == 21


def test_a_stream_appended_to_between_the_read_and_the_append_is_decided_again(engine, projections):
    execute(engine, LEDGER, "L1", decide_open, CTX, projections)
    execute(engine, LEDGER, "L1", decide_move(100), CTX, projections)
    seen = []

    def withdraw_all_once_competed(state):
        """Take out the whole balance; the first time, a deposit lands before our append."""
        seen.append(state.balance)
        if len(seen) == 1:
            execute(engine, LEDGER, "L1", decide_move(50), CTX, projections)
        return decide_move(-state.balance)(state)

    outcome = execute(engine, LEDGER, "L1", withdraw_all_once_competed, CTX, projections)
    assert seen == [100, 150]  # decided again on what the competing deposit left
    assert outcome.state.balance == 0 and outcome.version == 4
    assert balance(engine, projections, "L1") == 0


def test_after_two_lost_races_the_last_attempt_lands(engine, projections):
    """Both optimistic attempts lose a race; the last reads under the append lock and lands."""
    execute(engine, LEDGER, "L1", decide_open, CTX, projections)
    attempts = []

    def deposit_competed_while_optimistic(state):
        attempts.append(state.entries)
        if len(attempts) < 3:  # the first two attempts read on a snapshot: compete with them
            execute(engine, LEDGER, "L1", decide_move(1), CTX, projections)
        return decide_move(10)(state)

    outcome = execute(engine, LEDGER, "L1", deposit_competed_while_optimistic, CTX, projections)
    assert attempts == [0, 1, 2]
    assert outcome.state.balance == 12 and outcome.version == 4


def test_a_guard_refuses_a_decision_whose_inputs_moved_and_the_retry_sees_them(engine, projections):
    """A decision across streams (here: at most 2 ledgers per owner) advances the owner's guard."""
    decided_on = []

    def read(conn):
        seen = guards.version(conn, "owner:o1")
        opened = [e.stream_id for e in eventstore.read_after(conn, 0) if e.type == "LedgerOpened"]
        decided_on.append(len(opened))
        if len(decided_on) == 1:  # another opening for the owner commits after our reads
            with write_transaction(engine) as other:
                guards.advance(other, "owner:o1", guards.version(other, "owner:o1"))
                eventstore.append(other, "L2", 0, decide_open(LEDGER.initial), CTX, "ledger")
        return seen, len(opened) < 2

    def write(conn, plan):
        seen, allowed = plan
        guards.advance(conn, "owner:o1", seen)
        if allowed:
            eventstore.append(conn, "L3", 0, decide_open(LEDGER.initial), CTX, "ledger")
        return allowed

    execute(engine, LEDGER, "L1", decide_open, CTX, projections)
    assert read_then_write(engine, read, write) is False
    assert decided_on == [1, 2]
    with read_transaction(engine) as conn:
        assert guards.version(conn, "owner:o1") == 2
        assert eventstore.read_stream(conn, "L3") == []


def test_rebuild_gives_identical_projection_state(engine, projections):
    for ledger in ("A", "B"):
        execute(engine, LEDGER, ledger, decide_open, CTX, projections)
        for amount in (300, -100, 50):
            execute(engine, LEDGER, ledger, decide_move(amount), CTX, projections)
    before = projections.snapshot(engine)
    assert projections.rebuild(engine) == 8
    assert projections.snapshot(engine) == before
    assert balance(engine, projections, "A") == 250


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.integers(min_value=-1000, max_value=1000), max_size=12))
def test_folding_read_back_events_equals_folding_decided_events(engine, projections, moves):
    ledger_id = new_id("H")
    decided = []
    for decide in [decide_open, *[decide_move(m) for m in moves]]:
        with read_transaction(engine) as conn:
            state = LEDGER.fold(eventstore.read_stream(conn, ledger_id))
        decided.extend(decide(state))
        execute(engine, LEDGER, ledger_id, decide, CTX, projections)
    with read_transaction(engine) as conn:
        read_back = eventstore.read_stream(conn, ledger_id)
    assert LEDGER.fold(read_back) == LEDGER.fold(decided)
    assert [(e.type, e.data) for e in read_back] == [(e.type, e.data) for e in decided]
