"""A case page and its action forms: each form posts to the application function the API calls.

A refusal is not an error page: the case is shown again with the status the API would have
answered, the reason at the top and beside the form, and what the person typed kept.
"""

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from services.cases import api, application, queries, schemas
from services.cases.console import CONSOLE_ROLES, WORKERS, peers
from services.cases.console.forms import action_forms, read_action_form
from services.cases.domain import (
    IN_WORK,
    POLICE_VERIFICATION,
    UNRESOLVED,
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseInvalid,
)
from services.cases.explanations import explain_decision
from services.cases.words import label
from shared.eventstore import ConcurrencyError
from shared.web.pages.errors import PageError
from shared.web.pages.session import current_user, page_context, page_requires
from shared.web.state import web_state

VERIFY = ("verification-requests", schemas.VerificationRequestIn, application.request_verification)
# path → (schema, application function, roles): the API's own table, plus verification.
ACTIONS = {
    **{path: (schema, command, roles) for path, schema, command, roles, _ in api.ACTIONS},
    VERIFY[0]: (VERIFY[1], VERIFY[2], api.WORKERS),
}
# The forms in the order the work goes: take it, talk, ask the police, then settle it.
SHOWN_ORDER = (
    "claim",
    "assignment",
    "contacts",
    "verification-requests",
    "notes",
    "restriction-requests",
    "escalations",
    "resolution",
    "closure",
    "reopening",
)
REQUEST_FACTS = ("amount", "channel", "purpose")
DONE = {
    "claim": _l("You have claimed the case."),
    "assignment": _l("The case has been assigned."),
    "notes": _l("Your note has been added."),
    "contacts": _l("The contact has been recorded."),
    "verification-requests": _l("The police unit has been asked to verify."),
    "escalations": _l("The case has been escalated to the supervisors."),
    "restriction-requests": _l("The restriction has been requested."),
    "resolution": _l("The case has been resolved."),
    "closure": _l("The case has been closed."),
    "reopening": _l("The case has been reopened."),
}


@dataclass
class Refused:
    """A refused form: which one, what was typed, and what to say about it."""

    action: str
    values: dict
    errors: dict = field(default_factory=dict)
    message: str | None = None


def _conflict(action: str, case: dict, me: str) -> str:
    """Why the case's state refused, in the reader's words, from the case as it is now."""
    status, assignee = case["status"], case["assignee"]
    pending = [r for r in case["verification_requests"] if r["status"] == "pending"]
    if action == "claim" and status in UNRESOLVED and assignee == me:
        return gettext("You have already claimed this case.")
    if action == "claim" and status in UNRESOLVED and assignee:
        return gettext(
            "%(assignee)s works this case; a supervisor may reassign it.", assignee=assignee
        )
    if action == "assignment" and status in UNRESOLVED:
        return gettext("The case is already assigned to %(assignee)s.", assignee=assignee)
    if status == "open" and action in (
        "contacts",
        "verification-requests",
        "restriction-requests",
        "resolution",
    ):
        return gettext("Claim the case (or have it assigned) before you work on it.")
    if action == "verification-requests" and case["case_type"] != POLICE_VERIFICATION:
        return gettext("Only police–bank verification cases go to the police.")
    if action == "verification-requests" and pending:
        return gettext(
            "A verification request is still pending with %(unit)s.",
            unit=pending[0]["police_unit"],
        )
    if action == "resolution" and status in IN_WORK:
        return gettext("Request a restriction on the account before resolving with one.")
    if action == "notes" and status == "closed":
        return gettext("A closed case takes no more notes; reopen it first.")
    return gettext("A case that is %(status)s does not allow this.", status=label("status", status))


def refusal(error: Exception, action: str, case: dict, me: str) -> tuple[int, str, dict]:
    """(the status the API would answer, the message, messages by field) for a refusal."""
    if isinstance(error, ConcurrencyError):
        return (
            409,
            gettext(
                "Someone else changed the case while you were working on it. "
                "Check it and try again."
            ),
            {},
        )
    if isinstance(error, CaseForbidden):
        if action == "resolution":
            return (
                403,
                gettext(
                    "Four eyes: whoever opened the account may not review it. "
                    "Another investigator has to resolve this case."
                ),
                {"outcome": gettext("You may not resolve this case.")},
            )
        return 403, gettext("You may not do this to this case."), {}
    if isinstance(error, CaseInvalid):
        fields = {
            "expires_at": gettext("The expiry must be in the future."),
            "outcome": gettext("Choose an outcome this type of case can be resolved with."),
        }
        errors = {name: fields.get(name, gettext("Check this field.")) for name in error.errors}
        return 422, None, errors
    if isinstance(error, CaseConflict):
        return 409, _conflict(action, case, me), {}
    return 404, gettext("There is no such case."), {}


def offered(case: dict, role: str) -> list[str]:
    """The actions that make sense for this case now and that this role may take."""
    status, pending = (
        case["status"],
        any(r["status"] == "pending" for r in case["verification_requests"]),
    )
    sensible = {
        "claim": status in UNRESOLVED and case["assignee"] is None,
        "assignment": status in UNRESOLVED,
        "notes": status != "closed",
        "contacts": status in IN_WORK,
        "verification-requests": status in IN_WORK
        and case["case_type"] == POLICE_VERIFICATION
        and not pending,
        "escalations": status in UNRESOLVED,
        "restriction-requests": status in IN_WORK,
        "resolution": status in IN_WORK,
        "closure": status == "resolved",
        "reopening": status in ("resolved", "closed"),
    }
    return [path for path in SHOWN_ORDER if sensible[path] and role in ACTIONS[path][2]]


def render_case(case_id: str, refused: Refused | None = None, status: int = 200):
    case = queries.get_case(web_state().engine, case_id)
    if case is None:
        raise PageError(404, str(_l("There is no case %(case_id)s.", case_id=case_id)))
    user = current_user()
    actions = offered(case, user.role)
    if (
        refused
        and refused.action not in actions
        and action_forms(case["case_type"])[refused.action][1]
    ):
        actions.append(refused.action)
    details = case["details"] or {}
    summary_errors = {}
    if refused:
        summary_errors = {f"{refused.action}_{k}": v for k, v in refused.errors.items()}
    page = render_template(
        "console/case.html",
        case=case,
        details=details,
        explained=explain_decision(
            details.get("decision"), label, {k: details.get(k) for k in REQUEST_FACTS}
        ),
        withdrawal_now=peers.withdrawal(case["withdrawal_id"]) if case["withdrawal_id"] else None,
        notifications=peers.notifications(case["customer_id"]) if case["customer_id"] else None,
        forms=action_forms(case["case_type"]),
        actions=actions,
        refused=refused,
        summary_errors=summary_errors,
        now=web_state().clock(),
    )
    return page, status


def act(case_id: str, action: str):
    schema_class, command, roles = ACTIONS[action]
    if current_user().role not in roles:
        raise PageError(403, str(_l("Your role may not do this to a case.")))
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    body, errors = read_action_form(schema_class(), request.form, web_state().settings.timezone)
    if errors:
        return render_case(case_id, Refused(action, values, errors), 422)
    try:
        command(web_state().engine, case_id, body, page_context())
    except (CaseError, ConcurrencyError) as error:
        found = queries.get_case(web_state().engine, case_id)
        if found is None:
            raise PageError(
                404, str(_l("There is no case %(case_id)s.", case_id=case_id))
            ) from error
        code, message, field_errors = refusal(error, action, found, current_user().sub)
        return render_case(case_id, Refused(action, values, field_errors, message), code)
    flash(str(DONE[action]), "success")
    return redirect(url_for("console.case", case_id=case_id), 303)


def register_case_page(blp: Blueprint) -> None:
    @blp.get("/cases/<case_id>")
    @page_requires(*CONSOLE_ROLES)
    def case(case_id):
        """The case: what triggered it, the decision explained, the customer, its history."""
        return render_case(case_id)

    @blp.post("/cases/<case_id>/<action>")
    @page_requires(*WORKERS)
    def case_action(case_id, action):
        """One of the case's actions, by the form of the same name."""
        if action not in ACTIONS:
            abort(404)
        return act(case_id, action)
