"""The Account aggregate's state and how each of its events changes it (pure)."""

from dataclasses import dataclass, replace
from datetime import datetime

from services.accounts.errors import Unknown
from services.accounts.policy import Policy
from shared.aggregate import Aggregate
from shared.envelope import NewEvent

OPENING_EVENTS = ("AccountOpened", "AccountOpeningReferred")


@dataclass(frozen=True)
class Hold:
    withdrawal_id: str
    held_at: datetime


@dataclass(frozen=True)
class Restriction:
    id: str
    type: str
    reason: str
    source: dict
    expires_at: str | None
    requested_by: str

    def expired_by(self, now: datetime) -> bool:
        return self.expires_at is not None and parse_time(self.expires_at) <= now


@dataclass(frozen=True)
class Override:
    id: str
    tier: str
    reason: str
    requested_by: str
    status: str = "pending"  # pending | applied


@dataclass(frozen=True)
class Account:
    id: str | None = None
    customer_id: str | None = None
    status: str | None = None  # pending_review | active | refused | closed
    flags: tuple[str, ...] = ()
    risk_tier: str | None = None
    opened_by: str | None = None
    tier_changed_at: datetime | None = None
    holds: tuple[Hold, ...] = ()
    restrictions: tuple[Restriction, ...] = ()  # the active ones
    lifted: frozenset[str] = frozenset()
    # (type, source kind, source id) of every restriction ever imposed: a redelivered cause
    # must not impose its restriction again, even after a supervisor lifted it.
    restriction_causes: frozenset[tuple] = frozenset()
    overrides: tuple[Override, ...] = ()

    @property
    def moves_tier(self) -> bool:
        """Refused openings have no tier; closed accounts keep their last one."""
        return self.status in ("active", "pending_review") and self.risk_tier is not None

    @property
    def frozen(self) -> bool:
        return any(r.type == "freeze" for r in self.restrictions)

    def decay_anchor(self) -> datetime | None:
        """The later of the last hold and the last tier change: decay counts from there."""
        moments = [h.held_at for h in self.holds]
        if self.tier_changed_at is not None:
            moments.append(self.tier_changed_at)
        return max(moments, default=None)

    def override(self, override_id: str) -> Override | None:
        return next((o for o in self.overrides if o.id == override_id), None)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _occurred_at(event) -> datetime | None:
    """Stored events carry when they happened in their metadata; decided ones are not yet."""
    stamp = (getattr(event, "metadata", None) or {}).get("occurred_at")
    return parse_time(stamp) if stamp else None


def _opened(state: Account, event) -> Account:
    data = event.data
    return Account(
        id=data["account_id"],
        customer_id=data["customer_id"],
        status=data["status"],
        flags=tuple(data["flags"]),
        risk_tier=data["risk_tier"],
        opened_by=data.get("opened_by"),
        tier_changed_at=parse_time(data["opened_at"]),
    )


def _refused(state: Account, event) -> Account:
    data = event.data
    if state.id is None:
        return Account(
            id=data["account_id"],
            customer_id=data["customer_id"],
            status="refused",
            flags=tuple(data["flags"]),
        )
    return replace(state, status="refused")


def _activated(state: Account, event) -> Account:
    data = event.data
    changed_at = parse_time(data["activated_at"])
    return replace(state, status="active", risk_tier=data["risk_tier"], tier_changed_at=changed_at)


def _tier_changed(state: Account, event) -> Account:
    data = event.data
    source = data["source"]
    overrides = state.overrides
    if source.get("kind") == "override":
        overrides = tuple(
            replace(o, status="applied") if o.id == source.get("id") else o for o in overrides
        )
    changed_at = _occurred_at(event) or state.tier_changed_at
    return replace(
        state, risk_tier=data["to_tier"], tier_changed_at=changed_at, overrides=overrides
    )


def _hold_recorded(state: Account, event) -> Account:
    hold = Hold(event.data["withdrawal_id"], parse_time(event.data["held_at"]))
    return replace(state, holds=(*state.holds, hold))


def _override_requested(state: Account, event) -> Account:
    data = event.data
    override = Override(data["override_id"], data["tier"], data["reason"], data["requested_by"])
    return replace(state, overrides=(*state.overrides, override))


def _restricted(state: Account, event) -> Account:
    data = event.data
    restriction = Restriction(
        id=data["restriction_id"],
        type=data["type"],
        reason=data["reason"],
        source=data["source"],
        expires_at=data["expires_at"],
        requested_by=data["requested_by"],
    )
    cause = restriction_cause(data["type"], data["source"])
    return replace(
        state,
        restrictions=(*state.restrictions, restriction),
        restriction_causes=state.restriction_causes | {cause},
    )


def _lifted(state: Account, event) -> Account:
    lifted_id = event.data["restriction_id"]
    return replace(
        state,
        restrictions=tuple(r for r in state.restrictions if r.id != lifted_id),
        lifted=state.lifted | {lifted_id},
    )


def _closed(state: Account, event) -> Account:
    return replace(state, status="closed")


_EVOLVERS = {
    "AccountOpened": _opened,
    "AccountOpeningReferred": _opened,
    "AccountOpeningRefused": _refused,
    "AccountActivated": _activated,
    "RiskTierChanged": _tier_changed,
    "AccountHoldRecorded": _hold_recorded,
    "RiskTierOverrideRequested": _override_requested,
    "AccountRestricted": _restricted,
    "AccountRestrictionLifted": _lifted,
    "AccountClosed": _closed,
}


def evolve(state: Account, event) -> Account:
    apply = _EVOLVERS.get(event.type)
    return apply(state, event) if apply else state


def restriction_cause(type_: str, source: dict | None) -> tuple:
    source = source or {}
    return (type_, source.get("kind"), source.get("id"))


def require_account(state: Account) -> None:
    if state.id is None:
        raise Unknown("No such account.", code="ACCOUNT_UNKNOWN")


def tier_changed(
    state: Account, policy: Policy, to_tier: str, reasons: list[str], source: dict
) -> NewEvent:
    """Every tier move is one of these, with its reasons and the evidence it rests on."""
    terms = policy.terms(to_tier)
    data = {
        "account_id": state.id,
        "customer_id": state.customer_id,
        "from_tier": state.risk_tier,
        "to_tier": to_tier,
        "limits": terms.limits(),
        "verification_method": terms.verification_method,
        "reasons": list(reasons),
        "source": source,
    }
    return NewEvent("RiskTierChanged", data)


def raise_tier_to(
    state: Account, policy: Policy, floor: str, reasons: list[str], source: dict
) -> list[NewEvent]:
    """At least `floor`: a move up when the account is below it, else nothing."""
    target = policy.higher(state.risk_tier, floor)
    if target == state.risk_tier:
        return []
    return [tier_changed(state, policy, target, reasons, source)]


ACCOUNT = Aggregate(name="account", initial=Account(), evolve=evolve)
