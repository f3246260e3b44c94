"""The console's queues: my cases, the unassigned, the supervisors'; next case; search."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from services.cases import application, queues
from services.cases.console import CONSOLE_ROLES, WORKERS
from services.cases.console.labels import money, time_left
from services.cases.domain import CASE_TYPES, SLA_STATES, STATUSES, CaseConflict
from services.cases.words import choices, label
from shared.eventstore import ConcurrencyError
from shared.web.pages.errors import PageError
from shared.web.pages.session import current_user, page_context, page_requires
from shared.web.pagination import decode_cursor, encode_cursor
from shared.web.problems import Problem
from shared.web.state import web_state

TITLES = {
    "mine": _l("My cases"),
    "unassigned": _l("Unassigned cases"),
    "supervisors": _l("Supervisors' queue"),
}
NEXT_CASE_ATTEMPTS = 5


def _after() -> list | None:
    """The page's cursor; one this console did not issue is a plain error page, not a problem."""
    try:
        key = decode_cursor(request.args.get("cursor") or None)
    except Problem as error:
        raise PageError(
            400, gettext("That page link is broken; start from the first page.")
        ) from error
    if key is not None and queues.valid_cursor(key) is None:
        raise PageError(400, gettext("That page link is broken; start from the first page."))
    return key


def _next_url(listed: dict, endpoint: str, **values) -> str | None:
    if listed["next_key"] is None:
        return None
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "lang")}
    return url_for(endpoint, **values, **args, cursor=encode_cursor(listed["next_key"]))


def _render(template: str, listed: dict, **context):
    return render_template(
        template,
        items=listed["items"],
        now=web_state().clock(),
        can_work=current_user().role in WORKERS,
        **context,
    )


def show_queue(queue: str):
    filters = queues.valid_filters(request.args)
    listed = queues.queue_page(web_state().engine, queue, current_user().sub, filters, _after())
    return _render(
        "console/queue.html",
        listed,
        queue=queue,
        title=str(TITLES[queue]),
        filters=filters,
        filter_choices={
            "type": choices("case_type", CASE_TYPES),
            "status": choices("status", STATUSES),
            "sla": choices("sla", SLA_STATES),
        },
        next_url=_next_url(listed, "console.queue", queue=queue),
        first_page=request.args.get("cursor") is None,
    )


def claim_next(skip_limit: int = NEXT_CASE_ATTEMPTS) -> tuple[str | None, int]:
    """Claim the most urgent unassigned case; one someone else just took is skipped.

    The claim is the application's own decision, so two people racing for one case cannot
    both win: the loser gets CaseConflict (or a lost race) and tries the next candidate.
    Answers the case claimed (or None) and how many were lost to others on the way.
    """
    engine, lost = web_state().engine, set()
    for _ in range(skip_limit):
        case_id = queues.next_unassigned(engine, lost)
        if case_id is None:
            return None, len(lost)
        try:
            application.claim_case(engine, case_id, {}, page_context())
            return case_id, len(lost)
        except (CaseConflict, ConcurrencyError):
            lost.add(case_id)
    return None, len(lost)


def register_queue(blp: Blueprint) -> None:
    @blp.context_processor
    def _words():
        return {"label": label, "money": money, "time_left": time_left}

    @blp.get("/")
    @page_requires(*CONSOLE_ROLES)
    def home():
        """My cases: what the signed-in investigator holds, the unresolved first."""
        return show_queue("mine")

    @blp.get("/queues/<queue>")
    @page_requires(*CONSOLE_ROLES)
    def queue(queue):
        """One queue, most urgent first, filtered by type, status and SLA state."""
        if queue not in queues.QUEUES:
            abort(404)
        return show_queue(queue)

    @blp.post("/next-case")
    @page_requires(*WORKERS)
    def next_case():
        """Claim the most urgent unassigned case and open it."""
        case_id, lost = claim_next()
        if case_id is None and lost:
            taken = gettext("Others took the waiting cases first; press Take the next case again.")
            flash(taken, "error")
            return redirect(url_for("console.queue", queue="unassigned"), 303)
        if case_id is None:
            flash(gettext("No unassigned case is waiting."), "success")
            return redirect(url_for("console.queue", queue="unassigned"), 303)
        flash(gettext("You have claimed this case."), "success")
        return redirect(url_for("console.case", case_id=case_id), 303)

    @blp.get("/search")
    @page_requires(*CONSOLE_ROLES)
    def search():
        """A case id opens the case; an account or withdrawal id lists its cases."""
        q = request.args.get("q", "").strip()
        engine = web_state().engine
        if q and len(q) <= 100 and queues.case_exists(engine, q):
            return redirect(url_for("console.case", case_id=q), 303)
        listed = {"items": [], "next_key": None}
        if q and len(q) <= 100:
            listed = queues.search_page(engine, q, _after())
        return _render(
            "console/search.html",
            listed,
            q=q,
            next_url=_next_url(listed, "console.search"),
        )
