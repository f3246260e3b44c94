"""The liaison's pages: their unit's requests, one request, check the answers, confirm.

Every read that shows case data goes through the application's recorded views, so each look
an officer takes is on the case's record; another unit's request is the same 404 as none.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from services.cases import application, queries, schemas
from services.cases.domain import POLICE_OUTCOMES, CaseConflict, CaseNotFound
from services.cases.portal import LIAISON
from services.cases.words import choices, label
from shared.eventstore import ConcurrencyError
from shared.web.pages.errors import PageError
from shared.web.pages.forms import read_form, typed
from shared.web.pages.session import current_user, page_context, page_requires
from shared.web.pagination import decode_cursor
from shared.web.problems import Problem
from shared.web.state import web_state

PAGE_SIZE = 25
FIELDS = ("outcome", "police_reference", "officer", "notes")
REQUIRED = {
    "outcome": _l("Choose the outcome of the verification."),
    "police_reference": _l("Enter the police reference."),
    "officer": _l("Enter the officer who verified it."),
}


def _answers() -> tuple[dict, dict, dict]:
    """(what was typed, the body the API would load, messages by field)."""
    required = {name: str(text) for name, text in REQUIRED.items()}
    timezone = web_state().settings.timezone
    body, errors = read_form(schemas.ConfirmationIn(), request.form, timezone, required)
    return typed(request.form, FIELDS), body, errors


def _not_found() -> PageError:
    return PageError(404, gettext("There is no such verification request for your unit."))


def _cursor() -> list | None:
    try:
        after = decode_cursor(request.args.get("cursor"))
    except Problem as exc:
        raise PageError(422, gettext("That page link is not valid.")) from exc
    if after is not None and (len(after) != 2 or not all(isinstance(k, int) for k in after)):
        raise PageError(422, gettext("That page link is not valid."))
    return after


def _viewed(verification_id: str) -> dict:
    try:
        return application.view_verification(
            web_state().engine, current_user().police_unit, verification_id, page_context()
        )
    except CaseNotFound as exc:
        raise _not_found() from exc


def _request_page(found: dict, values: dict, errors: dict, status: int = 200, message=None):
    return (
        render_template(
            "portal/request.html",
            verification=found,
            values=values,
            errors=errors,
            message=message,
            outcomes=choices("police_outcome_choice", POLICE_OUTCOMES),
            reasons=[label("reason", code) for code in found["reasons"]],
            status_words=label("verification", found["status"]),
            outcome_words=label("outcome", found["outcome"]),
        ),
        status,
    )


def make_portal_blueprint() -> Blueprint:
    blp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

    @blp.get("/")
    @page_requires(LIAISON)
    def home():
        """The unit's requests, pending first; each case shown records a view."""
        user = current_user()
        listed = application.police_worklist(
            web_state().engine, user.police_unit, PAGE_SIZE, _cursor(), page_context()
        )
        return render_template(
            "portal/list.html",
            listed=listed,
            label=label,
        )

    @blp.get("/verifications/<verification_id>")
    @page_requires(LIAISON)
    def verification(verification_id: str):
        """One request: what the police may see, and the confirmation form while pending."""
        return _request_page(_viewed(verification_id), {}, {})

    @blp.post("/verifications/<verification_id>/answers")
    @page_requires(LIAISON)
    def change(verification_id: str):
        """Back from checking, with the answers as typed."""
        values, _, _ = _answers()
        return _request_page(_viewed(verification_id), values, {})

    @blp.post("/verifications/<verification_id>/check")
    @page_requires(LIAISON)
    def check(verification_id: str):
        """Check your answers before they are sent: a confirmation cannot be taken back."""
        values, _, errors = _answers()
        if errors:
            return _request_page(_viewed(verification_id), values, errors, 422)
        found = queries.get_police_verification(
            web_state().engine, current_user().police_unit, verification_id
        )
        if found is None:
            raise _not_found()
        return render_template(
            "portal/check.html",
            verification=found,
            values=values,
            outcome_words=label("police_outcome_choice", values["outcome"]),
        )

    @blp.post("/verifications/<verification_id>/confirmation")
    @page_requires(LIAISON)
    def confirm(verification_id: str):
        """Send the police outcome; it resolves the case."""
        values, body, errors = _answers()
        if errors:
            return _request_page(_viewed(verification_id), values, errors, 422)
        user = current_user()
        try:
            application.confirm_verification(
                web_state().engine,
                user.police_unit,
                verification_id,
                body,
                page_context(),
            )
        except CaseNotFound as exc:
            raise _not_found() from exc
        except (CaseConflict, ConcurrencyError):
            message = gettext(
                "This request has already been answered or withdrawn, so your confirmation "
                "was not sent. The page shows where it stands now."
            )
            return _request_page(_viewed(verification_id), values, {}, 409, message)
        flash(gettext("Your confirmation was sent. The bank has been told."), "success")
        return redirect(url_for("portal.verification", verification_id=verification_id), 303)

    return blp
