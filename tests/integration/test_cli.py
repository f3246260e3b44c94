"""The operator's CLI: tokens, hash-chain verification, rebuilds and dead letters."""

from datetime import UTC, datetime

import pytest
from ledger_domain import LEDGER, decide_move, decide_open
from sqlalchemy import Column, Integer, String, Table, insert, text

from shared import cli, eventstore
from shared.application import execute
from shared.config import DEV_JWT_SECRET
from shared.consumer import Handler
from shared.db import make_engine, write_transaction
from shared.envelope import Actor, Context
from shared.projections import Projections
from shared.schema import dead_letters
from shared.service import ServiceSpec
from shared.tokens import decode_token

CTX = Context(Actor("system", "test"), datetime(2026, 1, 1, tzinfo=UTC), "corr")


def ledger_spec(fail_handler=False) -> ServiceSpec:
    projections = Projections()
    totals = Table(
        "totals",
        projections.metadata,
        Column("ledger_id", String(64), primary_key=True),
        Column("fen", Integer),
    )

    @projections.on("LedgerOpened")
    def opened(conn, event):
        conn.execute(totals.insert().values(ledger_id=event.stream_id, fen=0))

    @projections.on("AmountDeposited")
    def deposited(conn, event):
        conn.execute(
            totals.update()
            .where(totals.c.ledger_id == event.stream_id)
            .values(fen=totals.c.fen + event.data["fen"])
        )

    def handle(conn, envelope):
        if fail_handler:
            raise RuntimeError("still broken")
        conn.execute(text("SELECT 1"))

    return ServiceSpec(
        name="accounts",
        projections=projections,
        subscriptions={"withdrawals": {"WithdrawalHeld": Handler(handle)}},
    )


@pytest.fixture
def service(database_url, monkeypatch):
    """The CLI pointed at a database holding a small ledger log, as the `accounts` service."""
    monkeypatch.setenv("WARDEN_ACCOUNTS_DATABASE_URL", database_url)
    spec = ledger_spec()
    monkeypatch.setattr(cli, "service_spec", lambda name: spec)
    engine = make_engine(database_url)
    eventstore.create_schema(engine, spec.projections.metadata)
    for ledger in ("A", "B"):
        execute(engine, LEDGER, ledger, decide_open, CTX, spec.projections)
        execute(engine, LEDGER, ledger, decide_move(250), CTX, spec.projections)
    yield engine
    engine.dispose()


def test_token_mints_a_jwt_the_services_accept(capsys, monkeypatch):
    monkeypatch.delenv("WARDEN_JWT_SECRET", raising=False)
    assert (
        cli.main(
            ["token", "--role", "police_liaison", "--sub", "p-7", "--police-unit", "PSB-HF-001"]
        )
        == 0
    )
    claims = decode_token(DEV_JWT_SECRET, capsys.readouterr().out.strip())
    assert (claims["sub"], claims["role"], claims["police_unit"]) == (
        "p-7",
        "police_liaison",
        "PSB-HF-001",
    )


def test_verify_passes_an_intact_log_and_fails_a_tampered_one(service, capsys):
    assert cli.main(["verify", "accounts"]) == 0
    assert "hash chain intact over 4 events" in capsys.readouterr().out
    with write_transaction(service) as conn:
        conn.execute(text("UPDATE events SET data = '{\"fen\": 1}' WHERE position = 2"))
    assert cli.main(["verify", "accounts"]) == 1
    assert "TAMPERED — hash mismatch at position 2" in capsys.readouterr().out


def test_rebuild_reports_identical_state(service, capsys):
    assert cli.main(["rebuild", "accounts"]) == 0
    out = capsys.readouterr().out
    assert "replayed 4 events into 1 projection tables" in out
    assert "state identical" in out


def test_rebuild_reports_a_projection_that_had_drifted(service, capsys):
    with write_transaction(service) as conn:
        conn.execute(text("UPDATE totals SET fen = 999 WHERE ledger_id = 'A'"))
    assert cli.main(["rebuild", "accounts"]) == 1
    assert "state differs after rebuild in: totals" in capsys.readouterr().out


def test_dead_letters_are_listed_and_retried(service, capsys):
    envelope = (
        b'{"event_id":"e-1","type":"WithdrawalHeld","schema_version":1,"stream_id":"w-1",'
        b'"version":1,"position":1,"data":{}}'
    )
    with write_transaction(service) as conn:
        conn.execute(
            insert(dead_letters).values(
                id="dl-1",
                consumer="accounts-from-withdrawals",
                subject="withdrawals.w.WithdrawalHeld",
                event_id="e-1",
                payload=envelope,
                error="RuntimeError('boom')",
                attempts=5,
                created_at=datetime.now(UTC),
            )
        )
    assert cli.main(["dead-letters", "accounts"]) == 0
    out = capsys.readouterr().out
    assert "dl-1" in out and "parked" in out and "1 dead letter(s)" in out
    assert cli.main(["dead-letters", "accounts", "--retry"]) == 0
    out = capsys.readouterr().out
    assert "accounts-from-withdrawals: 1 resolved, 0 failed" in out
    assert "0 dead letter(s)" in out
    assert cli.main(["dead-letters", "accounts", "--all"]) == 0
    assert "retried" in capsys.readouterr().out
