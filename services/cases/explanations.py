"""The screening decision in plain words: each rule, its verdict, its threshold and what was seen.

A held withdrawal's case records the decision as withdrawals made it (rules_version, inputs,
verdicts). DOMAIN §6 promises that any decision can be explained to the customer, the
investigator and the police; this turns one verdict into a sentence. It is pure (no request,
no I/O): the strings are lazy translations, formatted when a page renders them, and codes
inside them (a purpose, a channel) go through `words`, so the caller decides their language.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

Words = Callable[[str, str], str]


@dataclass(frozen=True)
class Explanation:
    rule: str
    name: str
    outcome: str  # "hold" or "reject"
    applied: bool
    observed: str


class _Missing(Exception):
    """The verdict lacks a number its sentence needs: say what was recorded instead."""


def _money(value) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _at_least(amount, threshold) -> str:
    return "≥" if Decimal(str(amount)) >= Decimal(str(threshold)) else "<"


def _over(amount, limit) -> str:
    return ">" if Decimal(str(amount)) > Decimal(str(limit)) else "≤"


class _Facts:
    """The verdict's detail, with the decision's inputs for what an older verdict left out."""

    def __init__(self, detail: dict, inputs: dict, words: Words, known: dict):
        self.values = {**known, **_from_inputs(inputs), **detail}
        self.words = words

    def __getitem__(self, key: str):
        value = self.values.get(key)
        if value is None:
            raise _Missing(key)
        return value

    def get(self, key: str, default=None):
        value = self.values.get(key)
        return default if value is None else value

    def money(self, key: str) -> str:
        return _money(self[key])

    def word(self, kind: str, key: str) -> str:
        return self.words(kind, str(self[key]))

    def listed(self, key: str, kind: str | None = None) -> str:
        """The codes under `key`, as words of `kind` when given."""
        items = self.get(key, [])
        return ", ".join(self.words(kind, str(item)) if kind else str(item) for item in items)


def _from_inputs(inputs: dict) -> dict:
    velocity = inputs.get("velocity") or {}
    return {
        "segment": inputs.get("segment"),
        "age": inputs.get("age"),
        "tier": inputs.get("tier"),
        "account_age_days": inputs.get("account_age_days"),
        "open_case_ids": inputs.get("open_case_ids"),
        "status": inputs.get("account_status"),
        "count": velocity.get("count"),
        "total": velocity.get("total"),
    }


def _amount_vs(f: _Facts, key: str = "threshold") -> dict:
    return {"amount": f.money("amount"), "cmp": _at_least(f["amount"], f[key]), key: f.money(key)}


def _frozen(f: _Facts):
    if f.get("restrictions"):
        return _l(
            "Restrictions in force: %(found)s.", found=f.listed("restrictions", "restriction")
        )
    return _l("No freeze or stop-payment restriction is in force.")


def _not_active(f: _Facts):
    return _l("Account status: %(status)s; only active accounts may withdraw.", status=f["status"])


def _non_counter_suspended(f: _Facts):
    channel = f.word("channel", "channel")
    if not f.get("non_counter"):
        return _l(
            "%(channel)s is a counter channel: the suspension does not apply.", channel=channel
        )
    if f.get("restrictions"):
        return _l(
            "%(channel)s; suspensions in force: %(found)s.",
            channel=channel,
            found=f.listed("restrictions", "restriction"),
        )
    return _l("%(channel)s; no non-counter suspension is in force.", channel=channel)


def _limit_per_transaction(f: _Facts):
    if not f.get("non_counter"):
        return _l("A counter withdrawal: the non-counter limits do not apply.")
    return _l(
        "Amount %(amount)s %(cmp)s per-transaction limit %(limit)s.",
        amount=f.money("amount"),
        cmp=_over(f["amount"], f["limit"]),
        limit=f.money("limit"),
    )


def _limit_daily(f: _Facts):
    if not f.get("non_counter"):
        return _l("A counter withdrawal: the non-counter limits do not apply.")
    return _l(
        "Today's total with this request %(total)s (earlier today %(today)s) %(cmp)s "
        "daily limit %(limit)s.",
        total=f.money("total_with_this"),
        today=f.money("today_total"),
        cmp=_over(f["total_with_this"], f["limit"]),
        limit=f.money("limit"),
    )


def _appointment_required(f: _Facts):
    compared = {**_amount_vs(f), "channel": f.word("channel", "channel")}
    if f.get("appointment_valid"):
        return _l(
            "Amount %(amount)s %(cmp)s registration threshold %(threshold)s (%(channel)s); "
            "valid appointment %(appointment)s.",
            appointment=f["appointment_id"],
            **compared,
        )
    if f.get("appointment_id"):
        return _l(
            "Amount %(amount)s %(cmp)s registration threshold %(threshold)s (%(channel)s); "
            "appointment %(appointment)s is not valid: %(problems)s.",
            appointment=f["appointment_id"],
            problems=f.listed("appointment_problems", "appointment_problem"),
            **compared,
        )
    return _l(
        "Amount %(amount)s %(cmp)s registration threshold %(threshold)s (%(channel)s); "
        "no appointment.",
        **compared,
    )


def _risky_purpose(f: _Facts):
    return _l(
        "Purpose %(purpose)s; amount %(amount)s %(cmp)s threshold %(threshold)s.",
        purpose=f.word("purpose", "purpose"),
        **_amount_vs(f),
    )


def _elderly_large_cash(f: _Facts):
    return _l(
        "Amount %(amount)s %(cmp)s threshold %(threshold)s; customer age %(age)s, "
        "segment %(segment)s; %(channel)s.",
        age=f.get("age", "?"),
        segment=f.word("segment", "segment"),
        channel=f.word("channel", "channel"),
        **_amount_vs(f),
    )


def _new_account_large(f: _Facts):
    if f.get("account_age_days") is None:
        return _l(
            "Account age not known, so counted as new (under %(days)s days); "
            "amount %(amount)s %(cmp)s threshold %(threshold)s.",
            days=f["days"],
            **_amount_vs(f),
        )
    return _l(
        "Account %(age)s days old (new under %(days)s days); "
        "amount %(amount)s %(cmp)s threshold %(threshold)s.",
        age=f["account_age_days"],
        days=f["days"],
        **_amount_vs(f),
    )


def _purpose_mismatch(f: _Facts):
    if not f.get("appointment_valid"):
        return _l("No valid appointment to compare the purpose with.")
    return _l(
        "Purpose asked %(purpose)s; purpose booked with the appointment %(booked)s.",
        purpose=f.word("purpose", "purpose"),
        booked=f.word("purpose", "appointment_purpose"),
    )


def _high_risk_tier(f: _Facts):
    return _l(
        "Risk tier %(tier)s; amount %(amount)s %(cmp)s threshold %(threshold)s.",
        tier=f["tier"],
        **_amount_vs(f),
    )


def _open_case(f: _Facts):
    if f.get("open_case_ids"):
        return _l("Unresolved cases on the account: %(cases)s.", cases=f.listed("open_case_ids"))
    return _l("No unresolved case on the account.")


def _velocity(f: _Facts):
    return _l(
        "%(count)s withdrawals in %(hours)s hours (threshold %(count_threshold)s), "
        "totalling %(total)s (threshold %(total_threshold)s).",
        count=f["count"],
        hours=f["window_hours"],
        count_threshold=f["count_threshold"],
        total=f.money("total"),
        total_threshold=f.money("total_threshold"),
    )


RULES = {
    "ACCOUNT_FROZEN": (_l("Account frozen"), _frozen),
    "ACCOUNT_NOT_ACTIVE": (_l("Account not active"), _not_active),
    "NON_COUNTER_SUSPENDED": (_l("Non-counter channels suspended"), _non_counter_suspended),
    "LIMIT_PER_TRANSACTION": (_l("Per-transaction limit"), _limit_per_transaction),
    "LIMIT_DAILY": (_l("Daily limit"), _limit_daily),
    "APPOINTMENT_REQUIRED": (_l("Appointment for large cash"), _appointment_required),
    "RISKY_PURPOSE": (_l("Risky purpose"), _risky_purpose),
    "ELDERLY_LARGE_CASH": (_l("Large cash for an elderly customer"), _elderly_large_cash),
    "NEW_ACCOUNT_LARGE": (_l("Large amount on a new account"), _new_account_large),
    "PURPOSE_MISMATCH": (_l("Purpose against the appointment"), _purpose_mismatch),
    "HIGH_RISK_TIER": (_l("High-risk tier"), _high_risk_tier),
    "OPEN_CASE": (_l("Unresolved case on the account"), _open_case),
    "VELOCITY": (_l("Many withdrawals in a short time"), _velocity),
}


def _recorded(detail: dict):
    if not detail:
        return _l("No details were recorded for this rule.")
    shown = "; ".join(f"{key}: {value}" for key, value in detail.items())
    return _l("Recorded: %(details)s.", details=shown)


def explain(
    verdict: dict, inputs: dict | None = None, words: Words | None = None, known: dict | None = None
) -> Explanation:
    """One verdict as a sentence; an unknown rule, or one missing a number, says what it had.

    `known` are facts of the request itself (amount, channel, purpose) for verdicts whose
    detail left them out.
    """
    rule = str(verdict.get("rule") or "?")
    detail = verdict.get("detail") if isinstance(verdict.get("detail"), dict) else {}
    facts = _Facts(detail, inputs or {}, words or (lambda kind, code: code), known or {})
    name, observe = RULES.get(rule, (None, None))
    try:
        observed = observe(facts) if observe else _recorded(detail)
    except (_Missing, InvalidOperation):
        observed = _recorded(detail)
    return Explanation(
        rule=rule,
        name=name or _l("Rule %(rule)s", rule=rule),
        outcome=str(verdict.get("outcome") or ""),
        applied=bool(verdict.get("applied")),
        observed=observed,
    )


def explain_decision(
    decision: dict | None, words: Words | None = None, known: dict | None = None
) -> list[Explanation]:
    """Every verdict of a recorded decision, the rules that applied first, in rule order."""
    if not isinstance(decision, dict):
        return []
    inputs = decision.get("inputs") if isinstance(decision.get("inputs"), dict) else {}
    verdicts = [v for v in decision.get("verdicts") or [] if isinstance(v, dict)]
    explained = [explain(verdict, inputs, words, known) for verdict in verdicts]
    return sorted(explained, key=lambda e: not e.applied)
