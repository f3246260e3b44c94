"""Appointments (registration for large cash): frozen state, evolve and decide; pure."""

from dataclasses import dataclass, replace
from datetime import date

from services.withdrawals.domain import InvalidInput, InvalidTransition, UnknownAggregate
from shared.aggregate import Aggregate
from shared.envelope import NewEvent
from shared.money import CURRENCY, from_fen, to_fen


@dataclass(frozen=True)
class Appointment:
    appointment_id: str | None = None
    account_id: str | None = None
    amount: int = 0
    date: str | None = None
    branch_id: str | None = None
    purpose: str | None = None
    status: str | None = None
    withdrawal_id: str | None = None


def evolve_appointment(state: Appointment, event) -> Appointment:
    data = event.data
    if event.type == "AppointmentBooked":
        return Appointment(
            appointment_id=data["appointment_id"],
            account_id=data["account_id"],
            amount=to_fen(data["amount"]),
            date=data["date"],
            branch_id=data["branch_id"],
            purpose=data["purpose"],
            status="booked",
        )
    if event.type == "AppointmentUsed":
        return replace(state, status="used", withdrawal_id=data["withdrawal_id"])
    if event.type == "AppointmentCancelled":
        return replace(state, status="cancelled")
    return state


APPOINTMENT = Aggregate(name="appointment", initial=Appointment(), evolve=evolve_appointment)


@dataclass(frozen=True)
class Booking:
    account_id: str
    amount: int
    date: date
    branch_id: str
    purpose: str
    source_of_funds: str


def decide_book(
    state: Appointment, appointment_id: str, booking: Booking, today: date
) -> list[NewEvent]:
    """Register a large cash withdrawal for a business day from today on."""
    if state.status is not None:
        raise InvalidTransition(f"appointment {appointment_id} exists already")
    if booking.date < today:
        raise InvalidInput("date", f"An appointment is for today ({today}) or a later day.")
    data = {
        "appointment_id": appointment_id,
        "account_id": booking.account_id,
        "amount": from_fen(booking.amount),
        "currency": CURRENCY,
        "date": booking.date.isoformat(),
        "branch_id": booking.branch_id,
        "purpose": booking.purpose,
        "source_of_funds": booking.source_of_funds,
    }
    return [NewEvent("AppointmentBooked", data)]


def decide_use(state: Appointment, withdrawal_id: str) -> list[NewEvent]:
    """One appointment covers one withdrawal."""
    if state.status != "booked":
        raise InvalidTransition(f"a {state.status} appointment cannot be used")
    data = {"appointment_id": state.appointment_id, "withdrawal_id": withdrawal_id}
    return [NewEvent("AppointmentUsed", data)]


def decide_cancel_appointment(state: Appointment, reason: str) -> list[NewEvent]:
    if state.status is None:
        raise UnknownAggregate("no such appointment")
    if state.status != "booked":
        raise InvalidTransition(f"a {state.status} appointment cannot be cancelled")
    data = {"appointment_id": state.appointment_id, "reason": reason}
    return [NewEvent("AppointmentCancelled", data)]
