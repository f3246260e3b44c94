"""The contact aggregate: what accounts told us about a customer, and their own preferences."""

from dataclasses import dataclass, replace

from shared.aggregate import Aggregate
from shared.envelope import NewEvent

DETAIL_FIELDS = (
    "customer_id",
    "name",
    "phone",
    "email",
    "preferred_language",
    "birth_date",
    "occupation",
)


@dataclass(frozen=True)
class Contact:
    details: dict | None = None
    education_opt_out: bool = False
    channels: tuple[str, ...] | None = None
    sources: frozenset[str] = frozenset()


def contact_stream(customer_id: str) -> str:
    return f"contact-{customer_id}"


def evolve(state: Contact, event) -> Contact:
    if event.type == "ContactDetailsRecorded":
        details = {name: event.data.get(name) for name in DETAIL_FIELDS}
        sources = state.sources | {event.data["source"]["event_id"]}
        return replace(state, details=details, sources=sources)
    if event.type == "ContactPreferencesChanged":
        channels = event.data["channels"]
        return replace(
            state,
            education_opt_out=event.data["education_opt_out"],
            channels=tuple(channels) if channels else None,
        )
    return state


def decide_record_details(state: Contact, changes: dict, source: dict) -> list[NewEvent]:
    """Merge what an accounts event says into what we know; each source event counts once."""
    if source["event_id"] in state.sources:
        return []
    known = state.details or {name: None for name in DETAIL_FIELDS}
    details = {**known, **{k: v for k, v in changes.items() if k in DETAIL_FIELDS}}
    return [NewEvent("ContactDetailsRecorded", {**details, "source": source})]


class UnknownCustomer(Exception):
    """The contact book has not heard of this customer (yet)."""


def decide_preferences(
    state: Contact, customer_id: str, education_opt_out: bool, channels: list[str] | None
) -> list[NewEvent]:
    if state.details is None:
        raise UnknownCustomer(customer_id)
    wanted = tuple(channels) if channels else None
    if (state.education_opt_out, state.channels) == (education_opt_out, wanted):
        return []
    data = {
        "customer_id": customer_id,
        "education_opt_out": education_opt_out,
        "channels": list(wanted) if wanted else None,
    }
    return [NewEvent("ContactPreferencesChanged", data)]


CONTACT = Aggregate(name="contact", initial=Contact(), evolve=evolve)
