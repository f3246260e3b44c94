"""One short function per command: load, fold, decide, append and project in one transaction."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.accounts import queries
from services.accounts.accounts import ACCOUNT
from services.accounts.customers import CUSTOMER, decide_change_contact, decide_register
from services.accounts.errors import Conflict, DomainError, Unknown
from services.accounts.opening import OpenAccount, decide_close, decide_open, decide_review_outcome
from services.accounts.policy import Policy
from services.accounts.refusals import (
    RESTRICTION_REFUSAL,
    decide_refuse_restriction,
    refusal_stream_id,
)
from services.accounts.restrictions import (
    decide_expire,
    decide_lift,
    decide_restrict,
    decide_restrict_once,
)
from services.accounts.tiers import (
    decide_apply_override,
    decide_decay,
    decide_police_outcome,
    decide_record_hold,
    decide_request_override,
)
from services.accounts.watchlist import WATCHLIST_ENTRY, decide_add, decide_remove
from shared import eventstore, guards
from shared.application import (
    Decided,
    Outcome,
    append_decided,
    decide_on,
    execute,
    execute_in,
    read_then_write,
)
from shared.envelope import Context
from shared.projections import Projections

OnTransaction = Callable[[Connection], None] | None


# Customers


def register_customer(
    engine: Engine,
    projections: Projections,
    policy: Policy,
    customer_id: str,
    details: dict,
    today: date,
    context: Context,
    on_transaction: OnTransaction = None,
) -> Outcome:
    """One customer per id number: checked on the read, and held by the customers table's
    unique index at the append, so a concurrent registration of the number is read again."""

    def decide(state):
        return decide_register(state, customer_id, details, today, policy.elderly_age)

    def read(conn: Connection) -> Decided:
        existing = queries.customer_with_id_number(conn, details["id_number"])
        if existing is not None:
            raise Conflict(f"This id number is already registered as customer {existing}.")
        return decide_on(conn, CUSTOMER, customer_id, decide)

    def write(conn: Connection, decided: Decided) -> Outcome:
        try:
            return append_decided(conn, CUSTOMER, customer_id, decided, context, projections)
        except IntegrityError as exc:  # the id number's row, written since the read
            raise eventstore.ConcurrencyError(f"id number of {customer_id} taken") from exc

    return read_then_write(engine, read, write, on_transaction)


def change_contact(
    engine, projections, customer_id: str, contact: dict, context, on_transaction=None
) -> Outcome:
    return execute(
        engine,
        CUSTOMER,
        customer_id,
        lambda state: decide_change_contact(
            state, contact["phone"], contact["email"], contact["preferred_language"]
        ),
        context,
        projections,
        on_transaction=on_transaction,
    )


# Opening and closing


def opening_guard(customer_id: str) -> str:
    """One token per customer: an opening counts the customer's other recent openings."""
    return f"accounts-opening:{customer_id}"


def open_account(
    engine: Engine,
    projections: Projections,
    policy: Policy,
    command: OpenAccount,
    context: Context,
    on_transaction: OnTransaction = None,
) -> Outcome:
    """Due diligence reads and decides outside the write lock; the customer's opening guard
    makes two openings for one customer unable to both miss MULTIPLE_RECENT_ACCOUNTS."""
    now = context.occurred_at
    guard = opening_guard(command.customer_id)
    # A refusal's payload has no branch; the metadata keeps it for the branch's tellers.
    context = replace(context, extra={**context.extra, "branch_id": command.branch_id})

    def read(conn: Connection) -> tuple[int, Decided]:
        seen = guards.version(conn, guard)  # before the openings it covers
        facts = queries.opening_facts(conn, command.customer_id, policy, now)
        if facts is None:
            raise Unknown("No such customer.", field="customer_id")
        decided = decide_on(
            conn,
            ACCOUNT,
            command.account_id,
            lambda state: decide_open(state, command, facts, policy, now),
        )
        return seen, decided

    def write(conn: Connection, plan: tuple[int, Decided]) -> Outcome:
        seen, decided = plan
        guards.advance(conn, guard, seen)
        return append_decided(conn, ACCOUNT, command.account_id, decided, context, projections)

    return read_then_write(engine, read, write, on_transaction)


def close_account(engine, projections, account_id, reason, context, on_transaction=None):
    def decide(state):
        return decide_close(state, reason)

    return execute(
        engine, ACCOUNT, account_id, decide, context, projections, on_transaction=on_transaction
    )


# Tiers and restrictions from staff


def request_override(
    engine, projections, policy, account_id, override_id, body, context, on_transaction=None
):
    def decide(state):
        return decide_request_override(
            state, override_id, body["tier"], body["reason"], context.actor.sub, policy
        )

    return execute(
        engine, ACCOUNT, account_id, decide, context, projections, on_transaction=on_transaction
    )


def apply_override(
    engine, projections, policy, account_id, override_id, context, on_transaction=None
):
    def decide(state):
        return decide_apply_override(state, override_id, context.actor.sub, policy)

    return execute(
        engine, ACCOUNT, account_id, decide, context, projections, on_transaction=on_transaction
    )


def restrict(engine, projections, account_id, restriction_id, body, context, on_transaction=None):
    source = body.get("source") or {"kind": "staff", "id": context.actor.sub}

    def decide(state):
        return decide_restrict(
            state,
            restriction_id,
            body["type"],
            body["reason"],
            source,
            body.get("expires_at"),
            context.actor.sub,
            context.occurred_at,
        )

    return execute(
        engine, ACCOUNT, account_id, decide, context, projections, on_transaction=on_transaction
    )


def lift_restriction(
    engine, projections, account_id, restriction_id, reason, context, on_transaction=None
):
    def decide(state):
        return decide_lift(state, restriction_id, context.actor.sub, reason)

    return execute(
        engine, ACCOUNT, account_id, decide, context, projections, on_transaction=on_transaction
    )


# Watchlist


def add_to_watchlist(engine, projections, entry_id, body, context, on_transaction=None):
    def decide(state):
        return decide_add(
            state, entry_id, body["id_type"], body["id_number"], body["reference"], body["reason"]
        )

    return execute(
        engine,
        WATCHLIST_ENTRY,
        entry_id,
        decide,
        context,
        projections,
        on_transaction=on_transaction,
    )


def remove_from_watchlist(engine, projections, entry_id, reason, context, on_transaction=None):
    return execute(
        engine,
        WATCHLIST_ENTRY,
        entry_id,
        lambda state: decide_remove(state, reason),
        context,
        projections,
        on_transaction=on_transaction,
    )


# Reactions to other services' events, inside the consumer's transaction


def record_hold(
    conn, projections, policy, account_id, withdrawal_id, held_at, reasons, context
) -> Outcome:
    def decide(state):
        return decide_record_hold(state, withdrawal_id, held_at, reasons, policy)

    return execute_in(conn, ACCOUNT, account_id, decide, context, projections)


def apply_police_outcome(
    conn, projections, policy, account_id, confirmation: dict, restriction_id, context
) -> Outcome:
    """`confirmation`: outcome, police_reference and requested_by (who confirmed it)."""

    def decide(state):
        return decide_police_outcome(
            state,
            confirmation["outcome"],
            confirmation["police_reference"],
            restriction_id,
            confirmation["requested_by"],
            policy,
            context.occurred_at,
        )

    return execute_in(conn, ACCOUNT, account_id, decide, context, projections)


def resolve_review(
    conn, projections, policy, account_id, case_id, outcome, reason, context
) -> Outcome:
    def decide(state):
        return decide_review_outcome(state, case_id, outcome, reason, policy, context.occurred_at)

    return execute_in(conn, ACCOUNT, account_id, decide, context, projections)


def restrict_for_case(
    conn, projections, account_id, restriction_id, request: dict, context
) -> Outcome:
    """Impose a case's restriction once; one the account cannot take is refused on the record.

    `request` is the AccountRestrictionRequested's data plus its `request_event_id`.
    """

    def decide(state):
        return decide_restrict_once(
            state,
            restriction_id,
            request["type"],
            request["reason"],
            {"kind": "case", "id": request["case_id"]},
            request["expires_at"],
            request["requested_by"],
            context.occurred_at,
        )

    try:
        return execute_in(conn, ACCOUNT, account_id, decide, context, projections)
    except DomainError as refused:
        refusal = refused

    def refuse(state):
        return decide_refuse_restriction(state, request, refusal)

    stream = refusal_stream_id(request["request_event_id"])
    return execute_in(conn, RESTRICTION_REFUSAL, stream, refuse, context, projections)


# Timers


def decay_tier(engine, projections, policy, account_id: str, context: Context) -> Outcome:
    def decide(state):
        return decide_decay(state, policy, context.occurred_at)

    return execute(engine, ACCOUNT, account_id, decide, context, projections)


def expire_restrictions(engine, projections, account_id: str, context: Context) -> Outcome:
    def decide(state):
        return decide_expire(state, context.occurred_at)

    return execute(engine, ACCOUNT, account_id, decide, context, projections)
