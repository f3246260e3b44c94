"""The WatchlistEntry aggregate: id numbers police reported, added and removed as events."""

from dataclasses import dataclass, replace

from services.accounts.errors import Conflict, Unknown
from shared.aggregate import Aggregate
from shared.envelope import NewEvent


@dataclass(frozen=True)
class WatchlistEntry:
    id: str | None = None
    status: str | None = None  # active | removed


def evolve(state: WatchlistEntry, event) -> WatchlistEntry:
    if event.type == "WatchlistEntryAdded":
        return WatchlistEntry(id=event.data["entry_id"], status="active")
    if event.type == "WatchlistEntryRemoved":
        return replace(state, status="removed")
    return state


def decide_add(
    state: WatchlistEntry, entry_id: str, id_type: str, id_number: str, reference: str, reason: str
) -> list[NewEvent]:
    if state.id is not None:
        raise Conflict(f"watchlist entry {entry_id} exists")
    data = {
        "entry_id": entry_id,
        "id_type": id_type,
        "id_number": id_number,
        "reference": reference,
        "reason": reason,
    }
    return [NewEvent("WatchlistEntryAdded", data)]


def decide_remove(state: WatchlistEntry, reason: str) -> list[NewEvent]:
    if state.id is None:
        raise Unknown("No such watchlist entry.")
    if state.status == "removed":
        raise Conflict("This watchlist entry was already removed.")
    return [NewEvent("WatchlistEntryRemoved", {"entry_id": state.id, "reason": reason})]


def id_number_key(id_number: str) -> str:
    """How id numbers are compared: trimmed and upper-cased (a resident id may end in x or X)."""
    return id_number.strip().upper()


WATCHLIST_ENTRY = Aggregate(name="watchlist", initial=WatchlistEntry(), evolve=evolve)
