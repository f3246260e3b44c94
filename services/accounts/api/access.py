"""Who may see what: roles, tellers' branches, masking; and domain errors as problems."""

from datetime import date

from flask import Blueprint

from services.accounts.customers import segment_of
from services.accounts.errors import DomainError
from services.accounts.policy import Policy, load_policy
from shared.businesstime import business_date
from shared.masking import mask_email, mask_id_number, mask_phone
from shared.web.auth import Principal
from shared.web.history import history
from shared.web.problems import Problem, problem_response
from shared.web.state import web_state

WRITERS = ("teller", "system")
READERS = ("system", "teller", "investigator", "supervisor", "auditor")
WATCHLIST_WRITERS = ("police_liaison", "supervisor")
WATCHLIST_READERS = ("supervisor", "police_liaison", "auditor")


def policy() -> Policy:
    return load_policy(web_state().settings.rules_file)


def today() -> date:
    """The request's business date in WARDEN_TIMEZONE, by the app's (injectable) clock."""
    state = web_state()
    return business_date(state.clock(), state.settings.timezone)


def as_problem(error: DomainError) -> Problem:
    errors = {error.field: [error.detail]} if error.field and error.status == 422 else None
    return Problem(error.status, detail=error.detail, errors=errors)


def answer_domain_errors(blp: Blueprint) -> None:
    blp.register_error_handler(DomainError, lambda error: problem_response(as_problem(error)))


def require_branch(principal: Principal, branch_id: str | None) -> None:
    """Tellers see only their own branch's accounts; anything else is 'not found'."""
    if principal.role == "teller" and branch_id != principal.branch_id:
        raise Problem(404, detail="No such account.")


def mask_personal(data: dict, principal: Principal) -> dict:
    """The id number whole only for `system`; phone and email hidden from police liaison."""
    masked = dict(data)
    if principal.role != "system" and masked.get("id_number"):
        masked["id_number"] = mask_id_number(masked["id_number"])
    if principal.role == "police_liaison":
        for field, mask in (("phone", mask_phone), ("email", mask_email)):
            if field in masked:
                masked[field] = mask(masked[field])
    return masked


def customer_view(row: dict, principal: Principal) -> dict:
    segment = segment_of(
        date.fromisoformat(row["birth_date"]), row["occupation"], today(), policy().elderly_age
    )
    return mask_personal({**row, "segment": segment}, principal)


def masked_history(stream_id: str, aggregate: str, principal: Principal) -> dict:
    """An aggregate's events with personal fields masked as in its resource (hashes are of the
    stored, unmasked events)."""
    events = history(stream_id, aggregate)
    for item in events["items"]:
        item["data"] = mask_personal(item["data"], principal)
    return events
