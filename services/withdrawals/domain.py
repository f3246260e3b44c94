"""The withdrawal lifecycle: frozen state, evolve and decide; no I/O, no clock, no ids."""

from dataclasses import dataclass, replace

from services.withdrawals.snapshots import CustomerSnapshot, Decision, WithdrawalRequest
from shared.aggregate import Aggregate
from shared.envelope import NewEvent
from shared.money import CURRENCY, from_fen

CHANNELS = ("counter_cash", "atm", "online_transfer", "mobile_transfer")
TRANSFER_CHANNELS = ("online_transfer", "mobile_transfer")
PURPOSES = (
    "living_expenses",
    "medical",
    "education",
    "business",
    "property",
    "investment",
    "safe_account_transfer",
    "loan_or_fee_payment",
    "unknown_third_party",
    "other",
)
STATUSES = ("approved", "held", "rejected", "released", "blocked", "cancelled", "paid_out")
DECISION_EVENTS = {
    "approved": "WithdrawalApproved",
    "held": "WithdrawalHeld",
    "rejected": "WithdrawalRejected",
}
PAYABLE = frozenset({"approved", "released"})
CANCELLABLE = frozenset({"held", "approved", "released"})
POLICE_OUTCOMES = {
    "cleared": "WithdrawalReleased",
    "fraud_victim": "WithdrawalBlocked",
    "fraud_suspect": "WithdrawalBlocked",
}


class UnknownAggregate(Exception):
    """No such withdrawal, appointment or account here (or not one the caller may see)."""


class InvalidTransition(Exception):
    """The aggregate's state does not allow this; the API answers 409."""


class InvalidInput(Exception):
    """A business rule on the request's input failed; the API answers 422 on `field`."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Withdrawal:
    withdrawal_id: str | None = None
    account_id: str | None = None
    customer_id: str | None = None
    amount: str | None = None
    branch_id: str | None = None
    status: str | None = None
    reasons: tuple[str, ...] = ()
    case_id: str | None = None


def evolve_withdrawal(state: Withdrawal, event) -> Withdrawal:
    data = event.data
    if event.type in DECISION_EVENTS.values():
        return Withdrawal(
            withdrawal_id=data["withdrawal_id"],
            account_id=data["account_id"],
            customer_id=data["customer_id"],
            amount=data["amount"],
            branch_id=data["branch_id"],
            status=data["status"],
            reasons=tuple(data["reasons"]),
        )
    if event.type == "WithdrawalCaseLinked":
        return replace(state, case_id=data["case_id"])
    status = {
        "WithdrawalReleased": "released",
        "WithdrawalBlocked": "blocked",
        "WithdrawalCancelled": "cancelled",
        "WithdrawalPaidOut": "paid_out",
    }.get(event.type)
    if status is None:
        return state
    return replace(state, status=status, case_id=data.get("case_id") or state.case_id)


WITHDRAWAL = Aggregate(name="withdrawal", initial=Withdrawal(), evolve=evolve_withdrawal)


def decide_request(
    state: Withdrawal,
    withdrawal_id: str,
    request: WithdrawalRequest,
    payee: dict | None,
    branch_id: str,
    customer: CustomerSnapshot,
    decision: Decision,
) -> list[NewEvent]:
    """Record screening's decision; a held withdrawal carries what its case will need."""
    if state.status is not None:
        raise InvalidTransition(f"withdrawal {withdrawal_id} exists already")
    data = {
        "withdrawal_id": withdrawal_id,
        "account_id": request.account_id,
        "customer_id": customer.customer_id,
        "amount": from_fen(request.amount),
        "currency": CURRENCY,
        "channel": request.channel,
        "purpose": request.purpose,
        "payee": payee,
        "appointment_id": request.appointment_id,
        "branch_id": branch_id,
        "status": decision.status,
        "reasons": list(decision.reasons),
        "decision": decision.record(),
    }
    if decision.status == "held":
        data["customer"] = {
            "customer_id": customer.customer_id,
            "name_initial": customer.name_initial,
            "id_number_masked": customer.id_number_masked,
            "age": decision.age,
            "segment": decision.segment,
            "preferred_language": customer.preferred_language,
        }
    return [NewEvent(DECISION_EVENTS[decision.status], data)]


def _require(state: Withdrawal, allowed: frozenset[str], action: str) -> None:
    if state.status is None:
        raise UnknownAggregate("no such withdrawal")
    if state.status not in allowed:
        raise InvalidTransition(f"a {state.status} withdrawal cannot be {action}")


def _refs(state: Withdrawal) -> dict:
    return {
        "withdrawal_id": state.withdrawal_id,
        "account_id": state.account_id,
        "customer_id": state.customer_id,
    }


def decide_payout(state: Withdrawal) -> list[NewEvent]:
    """Only an approved or police-released withdrawal is paid out."""
    _require(state, PAYABLE, "paid out")
    data = {**_refs(state), "amount": state.amount, "branch_id": state.branch_id}
    return [NewEvent("WithdrawalPaidOut", data)]


def decide_cancel(state: Withdrawal, reason: str, case_id: str | None = None) -> list[NewEvent]:
    """The customer withdraws the request, at the counter or through the case."""
    _require(state, CANCELLABLE, "cancelled")
    data = {**_refs(state), "reason": reason, "case_id": case_id or state.case_id}
    return [NewEvent("WithdrawalCancelled", data)]


def decide_case_cancellation(state: Withdrawal, case_id: str, reason: str) -> list[NewEvent]:
    """A case resolved `customer_cancelled`: cancel if still possible, else nothing (replays)."""
    if state.status not in CANCELLABLE:
        return []
    return decide_cancel(state, reason, case_id)


def decide_link_case(state: Withdrawal, case_id: str) -> list[NewEvent]:
    if state.status is None or state.case_id == case_id:
        return []
    data = {"withdrawal_id": state.withdrawal_id, "case_id": case_id}
    return [NewEvent("WithdrawalCaseLinked", data)]


def decide_police_outcome(
    state: Withdrawal, case_id: str, outcome: str, police_reference: str | None
) -> list[NewEvent]:
    """Police–bank verification ends a hold; anything but a held withdrawal is left alone."""
    event_type = POLICE_OUTCOMES.get(outcome)
    if state.status != "held" or event_type is None:
        return []
    data = {**_refs(state), "case_id": case_id}
    if event_type == "WithdrawalReleased":
        data["police_reference"] = police_reference
    else:
        data["outcome"] = outcome
    return [NewEvent(event_type, data)]
