"""The campaign aggregate: an education template sent to one segment, counted to completion."""

import hashlib
from dataclasses import dataclass, replace

from shared.aggregate import Aggregate
from shared.envelope import NewEvent

MAX_STREAM_ID = 64


@dataclass(frozen=True)
class Campaign:
    status: str | None = None
    template: str | None = None
    segment: str | None = None
    recipients: int = 0


def campaign_notification_id(campaign_id: str, customer_id: str) -> str:
    """ntf_<campaign>_<customer>; a digest of the customer id if that would be too long."""
    plain = f"ntf_{campaign_id}_{customer_id}"
    if len(plain) <= MAX_STREAM_ID:
        return plain
    digest = hashlib.sha256(customer_id.encode()).hexdigest()
    return f"ntf_{campaign_id}_{digest[: MAX_STREAM_ID - len(campaign_id) - 5]}"


def evolve(state: Campaign, event) -> Campaign:
    if event.type == "CampaignStarted":
        data = event.data
        return Campaign("running", data["template"], data["segment"], len(data["recipients"]))
    if event.type == "CampaignCompleted":
        return replace(state, status="completed")
    return state


class CampaignExists(Exception):
    pass


def decide_start(
    state: Campaign, campaign_id: str, template: str, segment: str, recipients: list[str]
) -> list[NewEvent]:
    if state.status is not None:
        raise CampaignExists(campaign_id)
    started = NewEvent(
        "CampaignStarted",
        {
            "campaign_id": campaign_id,
            "template": template,
            "segment": segment,
            "recipients": recipients,
        },
    )
    if recipients:
        return [started]
    return [started, completed(campaign_id, 0, 0)]


def decide_complete(
    state: Campaign, campaign_id: str, requested: int, suppressed: int
) -> list[NewEvent]:
    if state.status != "running" or requested + suppressed != state.recipients:
        return []
    return [completed(campaign_id, requested, suppressed)]


def completed(campaign_id: str, requested: int, suppressed: int) -> NewEvent:
    data = {"campaign_id": campaign_id, "requested": requested, "suppressed": suppressed}
    return NewEvent("CampaignCompleted", data)


CAMPAIGN = Aggregate(name="campaign", initial=Campaign(), evolve=evolve)
