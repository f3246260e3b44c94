"""Due diligence at opening (DOMAIN §5), the review's outcome, and closing an account (pure)."""

from dataclasses import dataclass
from datetime import datetime

from services.accounts.accounts import Account, require_account, tier_changed
from services.accounts.errors import Conflict
from services.accounts.policy import Policy
from shared.envelope import NewEvent, iso
from shared.masking import name_initial

EMPLOYMENT_PROOF = "employment_proof"
WATCHLISTED = "WATCHLISTED"


@dataclass(frozen=True)
class OpenAccount:
    account_id: str
    customer_id: str
    account_class: str
    purpose: str
    purpose_detail: str
    channel: str
    documents: tuple[dict, ...]
    branch_id: str
    opened_by: str


@dataclass(frozen=True)
class OpeningFacts:
    """What due diligence knows about the customer, read in the opening's own transaction."""

    customer_name: str
    customer_employer: str
    watchlisted: bool
    recent_openings: int  # accounts opened or referred for the customer within the window


def _same_text(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def due_diligence_flags(command: OpenAccount, facts: OpeningFacts, policy: Policy) -> list[str]:
    """Every flag that applies, in DOMAIN order; an empty list opens the account at once."""
    proofs = [d for d in command.documents if d.get("type") == EMPLOYMENT_PROOF]
    flags = []
    if any(not proof.get("signed_on") for proof in proofs):
        flags.append("EMPLOYMENT_PROOF_UNSIGNED")
    if any(not _same_text(p.get("employer"), facts.customer_employer) for p in proofs):
        flags.append("EMPLOYER_MISMATCH")
    if command.purpose == "other" and not command.purpose_detail.strip():
        flags.append("PURPOSE_UNCLEAR")
    if facts.recent_openings >= policy.recent_accounts_threshold:
        flags.append("MULTIPLE_RECENT_ACCOUNTS")
    if facts.watchlisted:
        flags.append(WATCHLISTED)
    return flags


def decide_open(
    state: Account, command: OpenAccount, facts: OpeningFacts, policy: Policy, now: datetime
) -> list[NewEvent]:
    """Exactly one of AccountOpened, AccountOpeningReferred or AccountOpeningRefused."""
    if state.id is not None:
        raise Conflict(f"account {command.account_id} exists")
    flags = due_diligence_flags(command, facts, policy)
    if WATCHLISTED in flags:
        refusal = {
            "account_id": command.account_id,
            "customer_id": command.customer_id,
            "flags": flags,
            "reason": WATCHLISTED,
            "case_id": None,
        }
        return [NewEvent("AccountOpeningRefused", refusal)]
    terms = policy.terms(policy.new_account_tier)
    data = {
        "account_id": command.account_id,
        "customer_id": command.customer_id,
        "account_class": command.account_class,
        "purpose": command.purpose,
        "purpose_detail": command.purpose_detail,
        "channel": command.channel,
        "documents": list(command.documents),
        "branch_id": command.branch_id,
        "flags": flags,
        "status": "pending_review" if flags else "active",
        "risk_tier": policy.new_account_tier,
        "limits": terms.limits(),
        "verification_method": terms.verification_method,
        "opened_at": iso(now),
    }
    if not flags:
        return [NewEvent("AccountOpened", data)]
    data["customer_name_initial"] = name_initial(facts.customer_name)
    data["opened_by"] = command.opened_by
    return [NewEvent("AccountOpeningReferred", data)]


def decide_review_outcome(
    state: Account, case_id: str, outcome: str, reason: str, policy: Policy, now: datetime
) -> list[NewEvent]:
    """A due-diligence case resolved: activate at the reviewed tier, or refuse.

    Only a pending account moves, so a redelivered resolution changes nothing.
    """
    if state.status != "pending_review":
        return []
    if outcome == "refused":
        data = {
            "account_id": state.id,
            "customer_id": state.customer_id,
            "flags": list(state.flags),
            "reason": reason,
            "case_id": case_id,
        }
        return [NewEvent("AccountOpeningRefused", data)]
    if outcome != "approved":
        return []
    tier = policy.reviewed_account_tier
    terms = policy.terms(tier)
    activated = {
        "account_id": state.id,
        "customer_id": state.customer_id,
        "case_id": case_id,
        "risk_tier": tier,
        "limits": terms.limits(),
        "verification_method": terms.verification_method,
        "activated_at": iso(now),
    }
    events = [NewEvent("AccountActivated", activated)]
    if tier != state.risk_tier:
        source = {"kind": "case", "id": case_id}
        events.append(tier_changed(state, policy, tier, ["OPENED_AFTER_REVIEW"], source))
    return events


def decide_close(state: Account, reason: str) -> list[NewEvent]:
    require_account(state)
    if state.status in ("closed", "refused"):
        raise Conflict(f"A {state.status} account cannot be closed.")
    data = {"account_id": state.id, "customer_id": state.customer_id, "reason": reason}
    return [NewEvent("AccountClosed", data)]
