"""A toy aggregate for testing the shared machinery: a ledger that opens, takes and pays money."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shared.aggregate import Aggregate
from shared.application import execute
from shared.envelope import Actor, Context, NewEvent


@dataclass(frozen=True)
class Ledger:
    opened: bool = False
    balance: int = 0
    entries: int = 0


def evolve(state: Ledger, event) -> Ledger:
    if event.type == "LedgerOpened":
        return replace(state, opened=True)
    if event.type == "AmountDeposited":
        return replace(state, balance=state.balance + event.data["fen"], entries=state.entries + 1)
    if event.type == "AmountWithdrawn":
        return replace(state, balance=state.balance - event.data["fen"], entries=state.entries + 1)
    return state


def decide_open(state: Ledger) -> list[NewEvent]:
    return [] if state.opened else [NewEvent("LedgerOpened", {})]


def decide_move(fen: int):
    def decide(state: Ledger) -> list[NewEvent]:
        if not state.opened:
            raise ValueError("ledger not opened")
        if fen < 0 and state.balance + fen < 0:
            return []
        kind = "AmountDeposited" if fen >= 0 else "AmountWithdrawn"
        return [NewEvent(kind, {"fen": abs(fen)})]

    return decide


LEDGER = Aggregate(name="ledger", initial=Ledger(), evolve=evolve)


TEST_CONTEXT = Context(Actor("system", "test"), datetime(2026, 1, 1, tzinfo=UTC), "corr")


def make_ledgers(engine, count: int, deposits: int = 1, prefix: str = "L") -> None:
    """Open `count` ledgers and deposit into each: 1 + deposits events per ledger."""
    for i in range(count):
        execute(engine, LEDGER, f"{prefix}{i}", decide_open, TEST_CONTEXT)
        for _ in range(deposits):
            execute(engine, LEDGER, f"{prefix}{i}", decide_move(100), TEST_CONTEXT)
