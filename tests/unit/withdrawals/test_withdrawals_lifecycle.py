"""Given events, when a command, then events: the withdrawal and appointment lifecycles."""

from datetime import date

import pytest

from services.withdrawals.appointments import (
    APPOINTMENT,
    Booking,
    decide_book,
    decide_cancel_appointment,
    decide_use,
)
from services.withdrawals.domain import (
    WITHDRAWAL,
    InvalidInput,
    InvalidTransition,
    UnknownAggregate,
    decide_cancel,
    decide_case_cancellation,
    decide_link_case,
    decide_payout,
    decide_police_outcome,
)
from shared.envelope import NewEvent

DECIDED = {
    "withdrawal_id": "wd_1",
    "account_id": "acc_1",
    "customer_id": "cus_1",
    "amount": "80000.00",
    "branch_id": "HF-01",
    "reasons": [],
}


def given(*events: NewEvent):
    return WITHDRAWAL.fold(events)


def decided(status: str, reasons=()) -> NewEvent:
    kind = {"approved": "WithdrawalApproved", "held": "WithdrawalHeld"}
    kind["rejected"] = "WithdrawalRejected"
    return NewEvent(kind[status], {**DECIDED, "status": status, "reasons": list(reasons)})


HELD = decided("held", ["RISKY_PURPOSE"])
RELEASED = NewEvent("WithdrawalReleased", {"withdrawal_id": "wd_1", "case_id": "case_1"})
BLOCKED = NewEvent("WithdrawalBlocked", {"withdrawal_id": "wd_1", "case_id": "case_1"})
CANCELLED = NewEvent("WithdrawalCancelled", {"withdrawal_id": "wd_1", "case_id": None})
PAID = NewEvent("WithdrawalPaidOut", {"withdrawal_id": "wd_1"})


def test_a_held_withdrawal_cleared_by_police_is_released_then_paid_out():
    (released,) = decide_police_outcome(given(HELD), "case_1", "cleared", "PSB-REF-1")
    assert released.type == "WithdrawalReleased"
    assert released.data == {
        "withdrawal_id": "wd_1",
        "account_id": "acc_1",
        "customer_id": "cus_1",
        "case_id": "case_1",
        "police_reference": "PSB-REF-1",
    }
    (paid,) = decide_payout(given(HELD, released))
    assert paid.type == "WithdrawalPaidOut"
    assert paid.data["amount"] == "80000.00" and paid.data["branch_id"] == "HF-01"


@pytest.mark.parametrize("outcome", ["fraud_victim", "fraud_suspect"])
def test_a_fraud_outcome_blocks_a_held_withdrawal(outcome):
    (blocked,) = decide_police_outcome(given(HELD), "case_1", outcome, "REF")
    assert blocked.type == "WithdrawalBlocked" and blocked.data["outcome"] == outcome
    assert given(HELD, blocked).status == "blocked"


@pytest.mark.parametrize("history", [(HELD, RELEASED), (HELD, BLOCKED), (HELD, CANCELLED)])
def test_a_second_police_confirmation_changes_nothing(history):
    assert decide_police_outcome(given(*history), "case_1", "cleared", "REF") == []
    assert decide_police_outcome(given(*history), "case_1", "fraud_victim", "REF") == []


@pytest.mark.parametrize(
    "history",
    [
        (decided("rejected"),),
        (HELD,),
        (HELD, BLOCKED),
        (HELD, CANCELLED),
        (decided("approved"), PAID),
    ],
)
def test_payout_only_from_approved_or_released(history):
    with pytest.raises(InvalidTransition):
        decide_payout(given(*history))


@pytest.mark.parametrize("history", [(HELD,), (decided("approved"),), (HELD, RELEASED)])
def test_held_approved_or_released_can_be_cancelled(history):
    (event,) = decide_cancel(given(*history), "customer changed their mind")
    assert event.type == "WithdrawalCancelled"
    assert event.data["reason"] == "customer changed their mind"


@pytest.mark.parametrize(
    "history",
    [(decided("rejected"),), (HELD, BLOCKED), (HELD, CANCELLED), (decided("approved"), PAID)],
)
def test_other_states_cannot_be_cancelled(history):
    with pytest.raises(InvalidTransition):
        decide_cancel(given(*history), "too late")
    assert decide_case_cancellation(given(*history), "case_1", "customer_cancelled") == []


def test_an_unknown_withdrawal_is_unknown():
    with pytest.raises(UnknownAggregate):
        decide_payout(given())
    assert decide_police_outcome(given(), "case_1", "cleared", "REF") == []
    assert decide_link_case(given(), "case_1") == []


def test_the_case_is_linked_once_and_carried_into_the_cancellation():
    (linked,) = decide_link_case(given(HELD), "case_1")
    assert linked.data == {"withdrawal_id": "wd_1", "case_id": "case_1"}
    assert decide_link_case(given(HELD, linked), "case_1") == []
    (cancelled,) = decide_case_cancellation(given(HELD, linked), "case_1", "customer_cancelled")
    assert cancelled.data["case_id"] == "case_1"


BOOKING = Booking("acc_1", 8_000_000, date(2026, 11, 20), "HF-01", "investment", "savings")
BOOKED = decide_book(APPOINTMENT.initial, "apt_1", BOOKING, date(2026, 11, 20))


def test_an_appointment_is_booked_for_today_or_later_only():
    assert BOOKED[0].data["amount"] == "80000.00" and BOOKED[0].data["date"] == "2026-11-20"
    with pytest.raises(InvalidInput) as error:
        decide_book(APPOINTMENT.initial, "apt_1", BOOKING, date(2026, 11, 21))
    assert error.value.field == "date"


def test_an_appointment_is_used_by_one_withdrawal_only():
    (used,) = decide_use(APPOINTMENT.fold(BOOKED), "wd_1")
    assert used.data == {"appointment_id": "apt_1", "withdrawal_id": "wd_1"}
    with pytest.raises(InvalidTransition):
        decide_use(APPOINTMENT.fold([*BOOKED, used]), "wd_2")
    with pytest.raises(InvalidTransition):
        decide_cancel_appointment(APPOINTMENT.fold([*BOOKED, used]), "no longer needed")


def test_a_cancelled_appointment_cannot_be_used_or_cancelled_again():
    (cancelled,) = decide_cancel_appointment(APPOINTMENT.fold(BOOKED), "customer called")
    state = APPOINTMENT.fold([*BOOKED, cancelled])
    assert state.status == "cancelled"
    with pytest.raises(InvalidTransition):
        decide_use(state, "wd_1")
    with pytest.raises(InvalidTransition):
        decide_cancel_appointment(state, "again")
