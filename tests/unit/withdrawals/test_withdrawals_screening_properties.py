"""Invariants of screening over generated requests, accounts and histories (Hypothesis)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.withdrawals.domain import CHANNELS, PURPOSES
from services.withdrawals.rules import load_rules
from services.withdrawals.screening import screen
from services.withdrawals.snapshots import (
    AccountSnapshot,
    AppointmentSnapshot,
    CustomerSnapshot,
    PastWithdrawal,
    WithdrawalRequest,
)

RULES = load_rules()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
TIERS = {
    "LOW": (5_000_000, 20_000_000),
    "MEDIUM": (2_000_000, 5_000_000),
    "HIGH": (500_000, 1_000_000),
    "RESTRICTED": (0, 0),
}
amounts = st.integers(min_value=1, max_value=30_000_000)
restriction_types = st.sampled_from(["freeze", "stop_payment", "non_counter_suspended"])


@st.composite
def accounts(draw, **fixed) -> AccountSnapshot:
    tier = draw(st.sampled_from(sorted(TIERS)))
    kinds = draw(st.lists(restriction_types, max_size=2, unique=True))
    values = {
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "status": draw(st.sampled_from(["active", "active", "pending_review", "closed"])),
        "risk_tier": tier,
        "per_transaction_limit": TIERS[tier][0],
        "daily_limit": TIERS[tier][1],
        "restrictions": tuple({"id": f"r{i}", "type": k} for i, k in enumerate(kinds)),
        "opened_at": NOW - timedelta(days=draw(st.integers(0, 4000))),
        "open_case_ids": tuple(draw(st.lists(st.just("case_1"), max_size=1))),
    }
    values.update(fixed)
    return AccountSnapshot(**values)


customers = st.builds(
    CustomerSnapshot,
    customer_id=st.just("cus_1"),
    birth_date=st.dates(date(1930, 1, 1), date(2008, 1, 1)),
    occupation=st.sampled_from(["student", "engineer", "retired"]),
)
requests = st.builds(
    WithdrawalRequest,
    account_id=st.just("acc_1"),
    amount=amounts,
    channel=st.sampled_from(CHANNELS),
    purpose=st.sampled_from(PURPOSES),
    appointment_id=st.sampled_from([None, "apt_1"]),
)
appointments = st.one_of(
    st.none(),
    st.builds(
        AppointmentSnapshot,
        appointment_id=st.just("apt_1"),
        account_id=st.sampled_from(["acc_1", "acc_2"]),
        amount=amounts,
        date=st.sampled_from([TODAY, TODAY + timedelta(days=1)]),
        purpose=st.sampled_from(PURPOSES),
        status=st.sampled_from(["booked", "used", "cancelled"]),
    ),
)


@st.composite
def histories(draw) -> list[PastWithdrawal]:
    count = draw(st.integers(0, 4))
    items = []
    for n in range(count):
        at = NOW - timedelta(minutes=draw(st.integers(1, 60 * 30)))
        status = draw(st.sampled_from(["approved", "held", "rejected", "paid_out", "cancelled"]))
        channel = draw(st.sampled_from(CHANNELS))
        day = (at + timedelta(hours=8)).date()
        items.append(PastWithdrawal(f"wd_{n}", draw(amounts), channel, status, at, day))
    return items


def decide(request, account, customer, recent, appointment):
    return screen(request, account, customer, recent, appointment, RULES, NOW)


@settings(max_examples=300, deadline=None)
@given(requests, accounts(), customers, histories(), appointments, restriction_types)
def test_a_frozen_account_is_never_approved(request, account, customer, recent, apt, kind):
    frozen = replace(account, restrictions=({"id": "f", "type": "freeze"},))
    assert decide(request, frozen, customer, recent, apt).status == "rejected"
    stopped = replace(account, restrictions=({"id": "s", "type": "stop_payment"},))
    assert decide(request, stopped, customer, recent, apt).status == "rejected"


@settings(max_examples=300, deadline=None)
@given(requests, accounts(), customers, histories(), appointments)
def test_every_held_decision_carries_a_hold_reason(request, account, customer, recent, apt):
    decision = decide(request, account, customer, recent, apt)
    holds = {v.rule for v in decision.verdicts if v.outcome == "hold" and v.applied}
    if decision.status == "held":
        assert decision.reasons and set(decision.reasons) == holds
    if decision.status == "approved":
        assert decision.reasons == () and not any(v.applied for v in decision.verdicts)


@settings(max_examples=300, deadline=None)
@given(requests, accounts(), customers, histories(), appointments, amounts)
def test_an_earlier_approved_transfer_never_turns_a_rejection_into_an_approval(
    request, account, customer, recent, apt, extra
):
    before = decide(request, account, customer, recent, apt)
    more = PastWithdrawal(
        "wd_x", extra, "online_transfer", "approved", NOW - timedelta(minutes=1), TODAY
    )
    after = decide(request, account, customer, [*recent, more], apt)
    if before.status == "rejected":
        assert after.status == "rejected"
    if before.status != "approved":
        assert after.status != "approved"


@settings(max_examples=300, deadline=None)
@given(requests, accounts(), customers, histories(), appointments)
def test_every_reason_listed_has_an_applied_verdict(request, account, customer, recent, apt):
    decision = decide(request, account, customer, recent, apt)
    verdicts = {v.rule: v for v in decision.verdicts}
    assert len(verdicts) == len(decision.verdicts) == 13
    for reason in decision.reasons:
        assert verdicts[reason].applied
    outcome = {"rejected": "reject", "held": "hold"}.get(decision.status)
    assert all(verdicts[r].outcome == outcome for r in decision.reasons)
    if decision.status == "rejected":
        rejections = {v.rule for v in decision.verdicts if v.outcome == "reject" and v.applied}
        assert set(decision.reasons) == rejections
