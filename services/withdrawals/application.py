"""One function per command: read and decide, then append and project in one short write
transaction (shared.application.read_then_write)."""

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from services.withdrawals import queries, rule_versions
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
from services.withdrawals.rule_version_projection import active_version
from services.withdrawals.rule_versions import RULES_VERSION
from services.withdrawals.rules import Rules, parse_rules
from services.withdrawals.screening import lookback_start, screen
from services.withdrawals.snapshots import WithdrawalRequest
from shared import eventstore, guards
from shared.application import Decided, append_decided, decide_on, execute_in, read_then_write
from shared.businesstime import business_date
from shared.envelope import Context
from shared.projections import Projections

OnTransaction = Callable[[Connection], None] | None


@dataclass(frozen=True)
class Service:
    """What every command needs: the database, the read models, the rules and the time zone."""

    engine: Engine
    projections: Projections
    rules: Rules
    timezone: str


def _visible(branch_id: str | None, scope: str | None) -> bool:
    """`scope` is a teller's branch; None means every branch (system and readers)."""
    return scope is None or branch_id == scope


@dataclass(frozen=True)
class _Screened:
    """A screening decision and the versions of what it read, to be checked at the append."""

    decision: object
    customer: object
    appointment_status: str | None
    guard_version: int


def screening_guard(account_id: str) -> str:
    """One token per account: its requests' totals and velocity are what screening adds up."""
    return f"withdrawals-screening:{account_id}"


_parsed_versions: "weakref.WeakKeyDictionary[Engine, dict[str, Rules]]" = (
    weakref.WeakKeyDictionary()
)


def rules_in_force(conn: Connection, svc: Service, now) -> Rules:
    """The approved rules version in effect at `now`, else the rules file (the seed).

    A version's configuration never changes once proposed, so each is parsed once per engine.
    """
    found = active_version(conn, svc.projections.metadata.tables["wd_rule_versions"], now)
    if found is None:
        return svc.rules
    version, config = found
    parsed = _parsed_versions.setdefault(svc.engine, {})
    if version not in parsed:
        parsed[version] = parse_rules(config)
    return parsed[version]


def _screen(conn: Connection, svc: Service, request: WithdrawalRequest, now) -> _Screened:
    account = queries.account_snapshot(conn, svc.projections, request.account_id)
    customer = account and queries.customer_snapshot(conn, svc.projections, account.customer_id)
    if account is None or customer is None:
        raise UnknownAggregate(f"account {request.account_id} is not known here yet")
    appointment = None
    if request.appointment_id is not None:
        appointment = queries.appointment_snapshot(conn, svc.projections, request.appointment_id)
        if appointment is None:
            raise UnknownAggregate(f"appointment {request.appointment_id} is not known here")
    # Read before the requests it covers: on PostgreSQL each read sees what has committed by
    # then, so a request recorded after this read moves the guard even if the next one saw it.
    guard_version = guards.version(conn, screening_guard(request.account_id))
    rules = rules_in_force(conn, svc, now)
    since = lookback_start(rules, now, svc.timezone)
    recent = queries.recent_withdrawals(conn, svc.projections, request.account_id, since)
    decision = screen(request, account, customer, recent, appointment, rules, now, svc.timezone)
    return _Screened(decision, customer, appointment and appointment.status, guard_version)


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

    Screening reads and decides outside the write lock, so requests on different accounts do not
    wait for each other's screening. What makes a decision stale is checked at the append: the
    account's screening guard (another request on the account was recorded meanwhile, so the
    daily total or the velocity it saw is out of date) and the appointment's status (used or
    cancelled meanwhile). Either one raises ConcurrencyError and the request is screened again;
    the last attempt screens under the append lock, so it cannot lose. Facts recorded from
    accounts and cases (a tier, a restriction, an open case) reach this service asynchronously
    in any case, so a decision made a moment before one of them lands is as right as one made
    a moment before it was sent: they do not move the guard.
    """
    now = context.occurred_at
    guard = screening_guard(request.account_id)

    def record(conn: Connection, screened: _Screened) -> dict:
        guards.advance(conn, guard, screened.guard_version)
        decision = screened.decision

        def decide(state):
            return decide_request(
                state, withdrawal_id, request, payee, branch_id, screened.customer, decision
            )

        execute_in(conn, WITHDRAWAL, withdrawal_id, decide, context, svc.projections)
        if decision.status != "rejected" and decision.appointment_valid:

            def use(state):
                if state.status != screened.appointment_status:
                    raise eventstore.ConcurrencyError(f"appointment {request.appointment_id} moved")
                return decide_use(state, withdrawal_id)

            execute_in(conn, APPOINTMENT, request.appointment_id, use, context, svc.projections)
        return queries.withdrawal_row(conn, svc.projections, withdrawal_id)

    def read(conn: Connection) -> _Screened:
        return _screen(conn, svc, request, now)

    return read_then_write(svc.engine, read, record, on_transaction)


def _change_withdrawal(svc: Service, withdrawal_id, decide, context, scope, on_transaction):
    def guarded(state):
        if state.status is None or not _visible(state.branch_id, scope):
            raise UnknownAggregate(f"no withdrawal {withdrawal_id}")
        return decide(state)

    return _on_one_stream(
        svc, WITHDRAWAL, withdrawal_id, guarded, context, on_transaction, queries.withdrawal_row
    )


def _on_one_stream(svc: Service, aggregate, stream_id, decide, context, on_transaction, row):
    """A command on one stream whose answer is its read-model row, read where it was written."""

    def write(conn: Connection, decided: Decided) -> dict:
        append_decided(conn, aggregate, stream_id, decided, context, svc.projections)
        return row(conn, svc.projections, stream_id)

    def read(conn: Connection) -> Decided:
        return decide_on(conn, aggregate, stream_id, decide)

    return read_then_write(svc.engine, read, write, on_transaction)


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

    def decide(state):
        return decide_book(state, appointment_id, booking, today)

    def read(conn: Connection) -> Decided:
        # Nothing forgets an account, so knowing it now holds at the append too.
        if queries.account_snapshot(conn, svc.projections, booking.account_id) is None:
            raise UnknownAggregate(f"account {booking.account_id} is not known here yet")
        return decide_on(conn, APPOINTMENT, appointment_id, decide)

    def write(conn: Connection, decided: Decided) -> dict:
        append_decided(conn, APPOINTMENT, appointment_id, decided, context, svc.projections)
        return queries.appointment_row(conn, svc.projections, appointment_id)

    return read_then_write(svc.engine, read, write, on_transaction)


def cancel_appointment(
    svc: Service,
    appointment_id: str,
    reason: str,
    context: Context,
    scope: str | None,
    on_transaction: OnTransaction = None,
) -> dict:
    def decide(state):
        if state.status is None or not _visible(state.branch_id, scope):
            raise UnknownAggregate(f"no appointment {appointment_id}")
        return decide_cancel_appointment(state, reason)

    return _on_one_stream(
        svc, APPOINTMENT, appointment_id, decide, context, on_transaction, queries.appointment_row
    )


# Rules versions (services/withdrawals/rule_versions.py)


def _on_version(svc: Service, version: str, decide, context: Context, on_transaction) -> dict:
    def write(conn: Connection, decided: Decided) -> dict:
        append_decided(conn, RULES_VERSION, stream, decided, context, svc.projections)
        return queries.rule_version_row(conn, svc.projections, version)

    stream = rule_versions.stream_id(version)
    return read_then_write(
        svc.engine,
        lambda conn: decide_on(conn, RULES_VERSION, stream, decide),
        write,
        on_transaction,
    )


def propose_rules_version(
    svc: Service, version: str, config: dict, reason: str, context: Context, on_transaction=None
) -> dict:
    def decide(state):
        return rule_versions.decide_propose(
            state, version, config, reason, context.actor.sub, svc.rules.version
        )

    return _on_version(svc, version, decide, context, on_transaction)


def approve_rules_version(
    svc: Service, version: str, reason: str, activates_at, context: Context, on_transaction=None
) -> dict:
    def decide(state):
        return rule_versions.decide_approve(
            state, context.actor.sub, reason, activates_at, context.occurred_at
        )

    return _on_version(svc, version, decide, context, on_transaction)


def reject_rules_version(
    svc: Service, version: str, reason: str, context: Context, on_transaction=None
) -> dict:
    def decide(state):
        return rule_versions.decide_reject(state, context.actor.sub, reason)

    return _on_version(svc, version, decide, context, on_transaction)
