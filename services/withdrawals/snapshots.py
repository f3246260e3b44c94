"""What screening sees and what it answers: plain values, so a decision can be replayed."""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class WithdrawalRequest:
    """The customer's ask, as the teller entered it (amounts in fen)."""

    account_id: str
    amount: int
    channel: str
    purpose: str
    appointment_id: str | None = None


@dataclass(frozen=True)
class AccountSnapshot:
    """This service's own view of an account, folded from the facts it recorded."""

    account_id: str
    customer_id: str | None = None
    branch_id: str | None = None
    status: str | None = None
    risk_tier: str | None = None
    per_transaction_limit: int | None = None
    daily_limit: int | None = None
    verification_method: str | None = None
    restrictions: tuple[dict, ...] = ()
    opened_at: datetime | None = None
    open_case_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerSnapshot:
    """Only what screening and a held withdrawal's case need; never the whole person."""

    customer_id: str
    birth_date: date | None = None
    occupation: str | None = None
    name_initial: str | None = None
    id_number_masked: str | None = None
    preferred_language: str | None = None


@dataclass(frozen=True)
class PastWithdrawal:
    """An earlier request on the same account, for daily totals and the velocity window."""

    withdrawal_id: str
    amount: int
    channel: str
    status: str
    requested_at: datetime
    business_date: date


@dataclass(frozen=True)
class AppointmentSnapshot:
    appointment_id: str
    account_id: str
    amount: int
    date: date
    purpose: str
    status: str


@dataclass(frozen=True)
class Verdict:
    """One rule's answer: did it apply, and the numbers it compared to decide."""

    rule: str
    outcome: str  # "reject" or "hold"
    applied: bool
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "applied": self.applied,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Decision:
    """Screening's answer with everything needed to explain it later."""

    status: str  # approved | held | rejected
    reasons: tuple[str, ...]
    rules_version: str
    inputs: dict
    verdicts: tuple[Verdict, ...]
    segment: str
    age: int | None
    appointment_valid: bool

    def record(self) -> dict:
        """The `decision` object of the decision event and of GET /v1/withdrawals/{id}."""
        return {
            "rules_version": self.rules_version,
            "inputs": self.inputs,
            "verdicts": [verdict.as_dict() for verdict in self.verdicts],
        }
