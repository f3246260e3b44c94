"""One function per command: load the case, decide, append and project in one transaction.

Each takes plain arguments (the engine, the case, a body already loaded by its schema in
services.cases.schemas, and the caller's Context), so the API and server-rendered pages call
the same code. `on_transaction` lets the web layer claim an Idempotency-Key with the effects.
"""

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Connection, Engine

from services.cases import decisions, opening, police, queries
from services.cases.domain import CASE, AccountNotKnown, CaseNotFound
from services.cases.known_accounts import ACCOUNT_VIEW, KnownAccount, account_view_id
from services.cases.projections import projections
from services.cases.rules import CaseRules
from shared import eventstore
from shared.application import (
    Decided,
    Outcome,
    append_decided,
    decide_on,
    execute,
    execute_in,
    read_then_write,
)
from shared.db import read_transaction, write_transaction
from shared.envelope import Context
from shared.ids import new_id

OnTransaction = Callable[[Connection], None] | None
VIEW_ATTEMPTS = 3


def in_story(conn: Connection, case_id: str, context: Context) -> Context:
    """Events on a case follow the story it belongs to (DOMAIN §4): the hold's, say, so that
    withdrawals and notify carry it on; the request stays traceable by its causation_id."""
    correlation_id = queries.case_correlation(conn, case_id)
    return replace(context, correlation_id=correlation_id) if correlation_id else context


def _run(engine: Engine, case_id: str, decide, command, context: Context, on_transaction):
    with read_transaction(engine) as conn:
        context = in_story(conn, case_id, context)
    return execute(
        engine,
        CASE,
        case_id,
        lambda state: decide(state, command, context.occurred_at),
        context,
        projections,
        on_transaction=on_transaction,
    )


def known_account(conn: Connection, account_id: str) -> KnownAccount:
    """What accounts has told this service about the account, folded from this service's log."""
    stream = eventstore.read_stream(conn, account_view_id(account_id))
    return ACCOUNT_VIEW.fold(stream)


def open_suspicious_account_case(
    engine: Engine, body: dict, context: Context, rules: CaseRules, on_transaction=None
) -> Outcome:
    """Only on an account this service has heard of (else AccountNotKnown, a 404 to retry).

    Nothing forgets an account, so the check, on the read, holds at the append too.
    """
    case_id = new_id("case_")

    def read(conn: Connection) -> Decided:
        account = known_account(conn, body["account_id"])
        if not account.known:
            raise AccountNotKnown(body["account_id"])
        command = opening.suspicious_account(
            case_id,
            account.account_id,
            body["summary"],
            context.occurred_at,
            rules,
            customer_id=account.customer_id,
        )
        return decide_on(
            conn,
            CASE,
            case_id,
            lambda state: decisions.decide_open(state, command, context.occurred_at),
        )

    def write(conn: Connection, decided: Decided) -> Outcome:
        return append_decided(conn, CASE, case_id, decided, context, projections)

    return read_then_write(engine, read, write, on_transaction)


def claim_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Claim(by=context.actor.sub)
    return _run(engine, case_id, decisions.decide_claim, command, context, on_transaction)


def assign_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Assign(investigator=body["investigator"], by=context.actor.sub)
    return _run(engine, case_id, decisions.decide_assign, command, context, on_transaction)


def add_note(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.AddNote(text=body["text"])
    return _run(engine, case_id, decisions.decide_add_note, command, context, on_transaction)


def record_contact(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.RecordContact(body["channel"], body["outcome"], body["summary"])
    return _run(engine, case_id, decisions.decide_record_contact, command, context, on_transaction)


def request_verification(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.RequestVerification(new_id("ver_"), body["police_unit"], body["summary"])
    decide = decisions.decide_request_verification
    return _run(engine, case_id, decide, command, context, on_transaction)


def escalate_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Escalate(reason=body["reason"])
    return _run(engine, case_id, decisions.decide_escalate, command, context, on_transaction)


def request_restriction(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.RequestRestriction(
        type=body["type"],
        reason=body["reason"],
        expires_at=body.get("expires_at"),
        by=context.actor.sub,
    )
    decide = decisions.decide_request_restriction
    return _run(engine, case_id, decide, command, context, on_transaction)


def resolve_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Resolve(body["outcome"], body["reason"], by=context.actor.sub)
    return _run(engine, case_id, decisions.decide_resolve, command, context, on_transaction)


def close_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Close(reason=body["reason"])
    return _run(engine, case_id, decisions.decide_close, command, context, on_transaction)


def reopen_case(engine, case_id: str, body: dict, context: Context, on_transaction=None):
    command = decisions.Reopen(reason=body["reason"])
    return _run(engine, case_id, decisions.decide_reopen, command, context, on_transaction)


def confirm_verification(
    engine: Engine,
    police_unit: str,
    verification_id: str,
    body: dict,
    context: Context,
    on_transaction=None,
) -> Outcome:
    """The liaison's answer; another unit's request is a CaseNotFound, like a missing one."""
    with read_transaction(engine) as conn:
        case_id = queries.verification_case_id(conn, police_unit, verification_id)
    if case_id is None:
        raise CaseNotFound("No such verification request.")
    command = police.ConfirmVerification(
        verification_id=verification_id,
        police_unit=police_unit,
        outcome=body["outcome"],
        police_reference=body["police_reference"],
        officer=body["officer"],
        notes=body["notes"],
        by=context.actor.sub,
    )
    return _run(engine, case_id, police.decide_confirm, command, context, on_transaction)


def _record_views(conn: Connection, police_unit: str, shown: list[dict], context: Context):
    """One CaseViewedByPolice per case shown, in the transaction that read what was shown."""
    seen: set[str] = set()
    for item in shown:
        if item["case_id"] in seen:
            continue
        seen.add(item["case_id"])
        command = police.RecordPoliceView(item["id"], police_unit, context.actor.sub)
        execute_in(
            conn,
            CASE,
            item["case_id"],
            lambda state, c=command: police.decide_record_view(state, c, context.occurred_at),
            in_story(conn, item["case_id"], context),
            projections,
        )


def _viewing(engine: Engine, read: Callable[[Connection], dict | None], items, unit, context):
    """Read as a liaison of `unit`, recording each case shown; an auditor (unit None) only reads."""
    if unit is None:
        with read_transaction(engine) as conn:
            return read(conn)
    for attempt in range(1, VIEW_ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                result = read(conn)
                if result is not None:
                    _record_views(conn, unit, items(result), context)
                return result
        except eventstore.ConcurrencyError:
            if attempt == VIEW_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def view_verification(
    engine: Engine, police_unit: str | None, verification_id: str, context: Context
) -> dict:
    """A liaison reads one request of their unit; the view is recorded on the case."""
    found = _viewing(
        engine,
        lambda conn: queries.police_verification(conn, police_unit, verification_id),
        lambda result: [result],
        police_unit,
        context,
    )
    if found is None:
        raise CaseNotFound("No such verification request.")
    return found


def list_verifications(
    engine: Engine,
    police_unit: str | None,
    status: str | None,
    limit: int,
    after: list | None,
    context: Context,
) -> dict:
    """A liaison's page of their unit's requests; each case shown records one view."""
    return _viewing(
        engine,
        lambda conn: queries.police_verifications(conn, police_unit, status, limit, after),
        lambda result: result["items"],
        police_unit,
        context,
    )


def police_worklist(
    engine: Engine, police_unit: str, limit: int, after: list | None, context: Context
) -> dict:
    """The portal's list: the unit's requests, pending first; each case shown records a view."""
    return _viewing(
        engine,
        lambda conn: queries.police_worklist(conn, police_unit, limit, after),
        lambda result: result["items"],
        police_unit,
        context,
    )
