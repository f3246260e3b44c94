"""The accounts this service has heard of, learned from accounts' events and kept in its own log.

An investigator opens a suspicious_account case only on an account accounts has told us about.
What accounts told us is recorded here first, as `AccountFactsRecorded` on the account's view
stream, so a rebuild from this service's log alone knows the same accounts (DOMAIN §9 story 6).
Each translation records only what changed, so a redelivered event records nothing (pure).
"""

from dataclasses import dataclass, replace

from shared.aggregate import Aggregate
from shared.envelope import NewEvent

ACCOUNT_EVENTS = (
    "AccountOpened",
    "AccountOpeningReferred",
    "AccountOpeningRefused",
    "AccountActivated",
    "AccountClosed",
)
# An opening carries its status; the others say it by their name.
STATUS_OF = {
    "AccountOpeningRefused": "refused",
    "AccountActivated": "active",
    "AccountClosed": "closed",
}
# No event moves an account out of these, so one arriving late cannot move it back.
FINAL = frozenset({"refused", "closed"})


def account_view_id(account_id: str) -> str:
    return f"acctview-{account_id}"


@dataclass(frozen=True)
class KnownAccount:
    account_id: str | None = None
    customer_id: str | None = None
    status: str | None = None

    @property
    def known(self) -> bool:
        return self.account_id is not None


def evolve(state: KnownAccount, event) -> KnownAccount:
    if event.type != "AccountFactsRecorded":
        return state
    facts = event.data["facts"]
    return replace(
        state,
        account_id=event.data["account_id"],
        customer_id=facts.get("customer_id", state.customer_id),
        status=facts.get("status", state.status),
    )


ACCOUNT_VIEW = Aggregate(name="account_view", initial=KnownAccount(), evolve=evolve)


def account_facts(view: KnownAccount, event_type: str, data: dict) -> dict:
    """What one accounts event says about the account: its customer and its status."""
    status = STATUS_OF.get(event_type, data.get("status"))
    if view.status in FINAL and status not in FINAL:
        status = view.status
    return {"customer_id": data["customer_id"], "status": status}


def decide_account_facts(
    view: KnownAccount, account_id: str, source: dict, proposed: dict
) -> list[NewEvent]:
    """Record what changed; nothing when nothing did, so a redelivery records nothing."""
    facts = {key: value for key, value in proposed.items() if getattr(view, key) != value}
    if view.known and not facts:
        return []
    data = {"account_id": account_id, "source": source, "facts": facts}
    return [NewEvent("AccountFactsRecorded", data)]
