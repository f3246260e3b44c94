"""What the cases service does when withdrawals or accounts report something (docs/events.md).

Each handler runs in the consumer's transaction with the inbox row, and opening is a decision
that emits nothing for a case that exists, so no delivery can make a second case. What accounts
says about an account is recorded in this service's own log before anything relies on it.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from services.cases import decisions, known_accounts, opening
from services.cases.commands import RecordRestrictionRefusal
from services.cases.domain import CASE
from services.cases.projections import projections
from services.cases.rules import load_rules
from shared.application import execute_in
from shared.envelope import SYSTEM_ACTOR, Context, Envelope, utc_now

log = logging.getLogger(__name__)

CANCELLED_AT_COUNTER = "The withdrawal was cancelled at the counter."
Clock = Callable[[], datetime]


def _occurred_at(envelope: Envelope) -> datetime:
    """When the fact happened at its source: the SLA runs from there, not from our delivery."""
    moment = envelope.occurred()
    if moment is None:
        raise ValueError("the event does not say when it occurred")
    return moment


def _opener(build, rules_file: str, clock: Clock):
    def handle(conn: Connection, envelope: Envelope) -> None:
        command = build(
            envelope.event_id, _occurred_at(envelope), envelope.data, load_rules(rules_file)
        )
        context = Context.reacting_to(envelope, occurred_at=clock())
        execute_in(
            conn,
            CASE,
            command.case_id,
            lambda state: decisions.decide_open(state, command, context.occurred_at),
            context,
            projections,
        )

    return handle


def on_withdrawal_held(rules_file: str = "", clock: Clock = utc_now):
    """A held withdrawal opens its police_verification case, case_<event id>."""
    return _opener(opening.from_withdrawal_held, rules_file, clock)


def on_account_event(clock: Clock = utc_now):
    """An account opened, activated, refused or closed: recorded as this service's own fact."""

    def handle(conn: Connection, envelope: Envelope) -> None:
        account_id = envelope.data["account_id"]
        source = {"event_type": envelope.type, "event_id": envelope.event_id}

        def decide(view):
            proposed = known_accounts.account_facts(view, envelope.type, envelope.data)
            return known_accounts.decide_account_facts(view, account_id, source, proposed)

        context = Context.reacting_to(envelope, occurred_at=clock())
        stream = known_accounts.account_view_id(account_id)
        execute_in(conn, known_accounts.ACCOUNT_VIEW, stream, decide, context, projections)

    return handle


def on_account_opening_referred(rules_file: str = "", clock: Clock = utc_now):
    """A referred account opening is a known account and opens its due_diligence_review case,
    case_<event id>, in one transaction."""
    record = on_account_event(clock)
    open_case = _opener(opening.from_account_opening_referred, rules_file, clock)

    def handle(conn: Connection, envelope: Envelope) -> None:
        record(conn, envelope)
        open_case(conn, envelope)

    return handle


def on_account_restriction_refused(clock: Clock = utc_now):
    """accounts could not impose a restriction a case asked for: the case records why."""

    def handle(conn: Connection, envelope: Envelope) -> None:
        data = envelope.data
        command = RecordRestrictionRefusal(
            request_event_id=data["request_event_id"],
            refusal_event_id=envelope.event_id,
            account_id=data["account_id"],
            type=data["type"],
            reason_code=data["reason_code"],
            reason=data["reason"],
        )
        context = Context.reacting_to(envelope, occurred_at=clock())
        outcome = execute_in(
            conn,
            CASE,
            data["case_id"],
            lambda state: decisions.decide_record_refusal(state, command),
            context,
            projections,
        )
        if outcome.version == 0:
            log.warning(
                "AccountRestrictionRefused %s names case %s, unknown here; ignored",
                envelope.event_id,
                data["case_id"],
            )

    return handle


def on_withdrawal_cancelled(clock: Clock = utc_now):
    """A withdrawal cancelled while its case is open resolves the case customer_cancelled."""

    def handle(conn: Connection, envelope: Envelope) -> None:
        case_id = envelope.data.get("case_id")
        if not case_id:
            return
        context = Context.reacting_to(envelope, occurred_at=clock())
        execute_in(
            conn,
            CASE,
            case_id,
            lambda state: decisions.decide_withdrawal_cancelled(
                state, CANCELLED_AT_COUNTER, SYSTEM_ACTOR.sub
            ),
            context,
            projections,
        )

    return handle


def subscriptions(rules_file: str = "", clock: Clock = utc_now) -> dict:
    return {
        "withdrawals": {
            "WithdrawalHeld": on_withdrawal_held(rules_file, clock),
            "WithdrawalCancelled": on_withdrawal_cancelled(clock),
        },
        "accounts": {
            **{name: on_account_event(clock) for name in known_accounts.ACCOUNT_EVENTS},
            "AccountOpeningReferred": on_account_opening_referred(rules_file, clock),
            "AccountRestrictionRefused": on_account_restriction_refused(clock),
        },
    }
