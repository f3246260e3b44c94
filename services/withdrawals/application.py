"""One function per command: in one write transaction load, decide, append and project."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from services.withdrawals import queries
from services.withdrawals.appointments import (
    APPOINTMENT,
    Booking,
    decide_book,
    decide_cancel_appointment,
    decide_use,
)
from services.withdrawals.domain import (
    WITHDRAWAL,
    UnknownAggregate,
    decide_cancel,
    decide_payout,
    decide_request,
)
from services.withdrawals.rules import Rules
from services.withdrawals.screening import lookback_start, screen
from services.withdrawals.snapshots import WithdrawalRequest
from shared import eventstore
from shared.application import execute_in
from shared.businesstime import business_date
from shared.db import write_transaction
from shared.envelope import Context
from shared.projections import Projections

OnTransaction = Callable[[Connection], None] | None
ATTEMPTS = 3


@dataclass(frozen=True)
class Service:
    """What every command needs: the database, the read models, the rules and the time zone."""

    engine: Engine
    projections: Projections
    rules: Rules
    timezone: str


def _in_transaction(engine: Engine, on_transaction: OnTransaction, work):
    """Run `work(conn)` in a write transaction, retrying a bounded number of lost races."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                if on_transaction is not None:
                    on_transaction(conn)
                return work(conn)
        except eventstore.ConcurrencyError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _visible(branch_id: str | None, scope: str | None) -> bool:
    """`scope` is a teller's branch; None means every branch (system and readers)."""
    return scope is None or branch_id == scope


def request_withdrawal(
    svc: Service,
    withdrawal_id: str,
    request: WithdrawalRequest,
    payee: dict | None,
    branch_id: str,
    context: Context,
    on_transaction: OnTransaction = None,
) -> dict:
    """Screen and record the request; the appointment it relies on is used in the same breath.

    The log lock is taken first, so two requests on one account cannot both fit under a daily
    limit or both use one appointment.
    """

    def work(conn: Connection) -> dict:
        eventstore.lock_log(conn)
        account = queries.account_snapshot(conn, svc.projections, request.account_id)
        customer = account and queries.customer_snapshot(conn, svc.projections, account.customer_id)
        if account is None or customer is None:
            raise UnknownAggregate(f"account {request.account_id} is not known here yet")
        appointment = None
        if request.appointment_id is not None:
            appointment = queries.appointment_snapshot(
                conn, svc.projections, request.appointment_id
            )
            if appointment is None:
                raise UnknownAggregate(f"appointment {request.appointment_id} is not known here")
        now = context.occurred_at
        since = lookback_start(svc.rules, now, svc.timezone)
        recent = queries.recent_withdrawals(conn, svc.projections, request.account_id, since)
        decision = screen(
            request, account, customer, recent, appointment, svc.rules, now, svc.timezone
        )

        def decide(state):
            return decide_request(
                state, withdrawal_id, request, payee, branch_id, customer, decision
            )

        execute_in(conn, WITHDRAWAL, withdrawal_id, decide, context, svc.projections)
        if decision.status != "rejected" and decision.appointment_valid:

            def use(state):
                return decide_use(state, withdrawal_id)

            execute_in(conn, APPOINTMENT, request.appointment_id, use, context, svc.projections)
        return queries.withdrawal_row(conn, svc.projections, withdrawal_id)

    return _in_transaction(svc.engine, on_transaction, work)


def _change_withdrawal(svc: Service, withdrawal_id, decide, context, scope, on_transaction):
    def work(conn: Connection) -> dict:
        def guarded(state):
            if state.status is None or not _visible(state.branch_id, scope):
                raise UnknownAggregate(f"no withdrawal {withdrawal_id}")
            return decide(state)

        execute_in(conn, WITHDRAWAL, withdrawal_id, guarded, context, svc.projections)
        return queries.withdrawal_row(conn, svc.projections, withdrawal_id)

    return _in_transaction(svc.engine, on_transaction, work)


def pay_out(
    svc: Service,
    withdrawal_id: str,
    context: Context,
    scope: str | None,
    on_transaction: OnTransaction = None,
) -> dict:
    return _change_withdrawal(svc, withdrawal_id, decide_payout, context, scope, on_transaction)


def cancel_withdrawal(
    svc: Service,
    withdrawal_id: str,
    reason: str,
    context: Context,
    scope: str | None,
    on_transaction: OnTransaction = None,
) -> dict:
    def decide(state):
        return decide_cancel(state, reason)

    return _change_withdrawal(svc, withdrawal_id, decide, context, scope, on_transaction)


def book_appointment(
    svc: Service,
    appointment_id: str,
    booking: Booking,
    context: Context,
    on_transaction: OnTransaction = None,
) -> dict:
    """Book registration for a large cash withdrawal on an account this service knows."""
    today: date = business_date(context.occurred_at, svc.timezone)

    def work(conn: Connection) -> dict:
        if queries.account_snapshot(conn, svc.projections, booking.account_id) is None:
            raise UnknownAggregate(f"account {booking.account_id} is not known here yet")

        def decide(state):
            return decide_book(state, appointment_id, booking, today)

        execute_in(conn, APPOINTMENT, appointment_id, decide, context, svc.projections)
        return queries.appointment_row(conn, svc.projections, appointment_id)

    return _in_transaction(svc.engine, on_transaction, work)


def cancel_appointment(
    svc: Service,
    appointment_id: str,
    reason: str,
    context: Context,
    scope: str | None,
    on_transaction: OnTransaction = None,
) -> dict:
    def work(conn: Connection) -> dict:
        def decide(state):
            if state.status is None or not _visible(state.branch_id, scope):
                raise UnknownAggregate(f"no appointment {appointment_id}")
            return decide_cancel_appointment(state, reason)

        execute_in(conn, APPOINTMENT, appointment_id, decide, context, svc.projections)
        return queries.appointment_row(conn, svc.projections, appointment_id)

    return _in_transaction(svc.engine, on_transaction, work)
