"""A toy aggregate for testing the shared machinery: a ledger that opens, takes and pays money."""

from dataclasses import dataclass, replace

from shared.application import Aggregate
from shared.envelope import NewEvent


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
