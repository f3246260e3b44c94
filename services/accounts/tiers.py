"""Risk tier moves (DOMAIN §5): holds, police outcomes, decay and supervisor overrides (pure)."""

from datetime import datetime, timedelta

from services.accounts.accounts import (
    Account,
    raise_tier_to,
    require_account,
    restriction_cause,
    tier_changed,
)
from services.accounts.errors import Conflict, NotPermitted, Rejected, Unknown
from services.accounts.policy import Policy
from services.accounts.restrictions import restricted
from shared.envelope import NewEvent, iso

POLICE_REASONS = {"fraud_victim": "POLICE_FRAUD_VICTIM", "fraud_suspect": "POLICE_FRAUD_SUSPECT"}


def decide_record_hold(
    state: Account, withdrawal_id: str, held_at: datetime, reasons: list[str], policy: Policy
) -> list[NewEvent]:
    """Remember the hold; at least MEDIUM, and at least HIGH for repeated holds in the window."""
    if state.id is None or any(h.withdrawal_id == withdrawal_id for h in state.holds):
        return []
    recorded = NewEvent(
        "AccountHoldRecorded",
        {
            "account_id": state.id,
            "withdrawal_id": withdrawal_id,
            "held_at": iso(held_at),
            "reasons": list(reasons),
        },
    )
    if not state.moves_tier:
        return [recorded]
    window = policy.repeated_holds_window
    recent = 1 + sum(abs(held_at - h.held_at) <= window for h in state.holds)
    source = {"kind": "withdrawal", "id": withdrawal_id}
    if recent >= policy.repeated_holds:
        floor, codes = policy.repeated_holds_tier, ["WITHDRAWAL_HELD", "REPEATED_HOLDS"]
    else:
        floor, codes = policy.hold_tier, ["WITHDRAWAL_HELD"]
    return [recorded, *raise_tier_to(state, policy, floor, codes, source)]


def decide_police_outcome(
    state: Account,
    outcome: str,
    police_reference: str,
    restriction_id: str,
    requested_by: str,
    policy: Policy,
    now: datetime,
) -> list[NewEvent]:
    """fraud_victim / fraud_suspect: a tier floor and a restriction; `cleared` changes nothing."""
    measure = policy.police.get(outcome)
    if measure is None or not state.moves_tier:
        return []
    code = POLICE_REASONS[outcome]
    source = {"kind": "police", "id": police_reference}
    events = raise_tier_to(state, policy, measure.tier, [code], source)
    if restriction_cause(measure.restriction, source) not in state.restriction_causes:
        days = measure.restriction_days
        expires_at = now + timedelta(days=days) if days else None
        events.append(
            restricted(
                state, restriction_id, measure.restriction, code, source, expires_at, requested_by
            )
        )
    return events


def decide_decay(state: Account, policy: Policy, now: datetime) -> list[NewEvent]:
    """One step down after the quiet period; never below the lowest tier, never out of the
    highest (RESTRICTED) and never while the account is frozen: those take a supervisor."""
    if state.status != "active" or state.frozen:
        return []
    if state.risk_tier in (policy.lowest, policy.highest):
        return []
    anchor = state.decay_anchor()
    if anchor is None or now - anchor < policy.decay_after:
        return []
    source = {"kind": "decay", "id": policy.version}
    lower = policy.one_step_down(state.risk_tier)
    return [tier_changed(state, policy, lower, ["NO_HOLD_90_DAYS"], source)]


def decide_request_override(
    state: Account, override_id: str, tier: str, reason: str, requested_by: str, policy: Policy
) -> list[NewEvent]:
    """A supervisor asks for a tier; another supervisor must apply it (four eyes)."""
    require_account(state)
    if state.status != "active":
        raise Conflict(f"The tier of a {state.status} account cannot be overridden.")
    if tier not in policy.tiers:
        raise Rejected(f"Unknown tier {tier}.", field="tier")
    if tier == state.risk_tier:
        raise Conflict(f"The account is already {tier}.", field="tier")
    data = {
        "account_id": state.id,
        "override_id": override_id,
        "tier": tier,
        "reason": reason,
        "requested_by": requested_by,
    }
    return [NewEvent("RiskTierOverrideRequested", data)]


def decide_apply_override(
    state: Account, override_id: str, approved_by: str, policy: Policy
) -> list[NewEvent]:
    """Apply a pending override; its requester may not (403). It may leave RESTRICTED."""
    require_account(state)
    override = state.override(override_id)
    if override is None:
        raise Unknown("No such tier override on this account.")
    if override.status != "pending":
        raise Conflict("This tier override was already applied.")
    if override.requested_by == approved_by:
        raise NotPermitted("A supervisor other than the requester must apply an override.")
    if state.status != "active":
        raise Conflict(f"The tier of a {state.status} account cannot be overridden.")
    if override.tier == state.risk_tier:
        raise Conflict(f"The account is already {override.tier}.")
    source = {"kind": "override", "id": override_id}
    return [tier_changed(state, policy, override.tier, ["SUPERVISOR_OVERRIDE"], source)]
