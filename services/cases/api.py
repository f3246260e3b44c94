"""The investigators' API, /v1/cases: parse, call the application, answer (DOMAIN §7)."""

from flask.views import MethodView

from services.cases import application, queries, schemas
from services.cases.domain import (
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
)
from services.cases.rules import load_rules
from shared.eventstore import ConcurrencyError
from shared.web.auth import requires
from shared.web.context import command_context
from shared.web.history import HistorySchema, history
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.pagination import decode_cursor
from shared.web.problems import Problem, problem_response
from shared.web.state import web_state

WORKERS = ("investigator", "supervisor")
READERS = ("investigator", "supervisor", "auditor", "system")
STATUS_OF = {CaseNotFound: 404, CaseConflict: 409, CaseForbidden: 403, CaseInvalid: 422}


def case_problem(error: CaseError):
    """Domain refusals as problems: the domain names what went wrong, this names the status."""
    status = next(code for kind, code in STATUS_OF.items() if isinstance(error, kind))
    return problem_response(
        Problem(status, detail=str(error), errors=getattr(error, "errors", None))
    )


def race_problem(error: ConcurrencyError):
    """Someone kept changing the case while this request decided: a 409, safe to retry."""
    return problem_response(
        Problem(409, detail="The case changed while this request was decided; retry it.")
    )


def found_case(case_id: str) -> dict:
    case = queries.get_case(web_state().engine, case_id)
    if case is None:
        raise Problem(404, detail=f"No case {case_id}.")
    return case


# (path, input schema, application function, roles, summary) of the actions answering the case.
ACTIONS = (
    ("claim", schemas.ClaimIn, application.claim_case, WORKERS, "Claim the case."),
    (
        "assignment",
        schemas.AssignmentIn,
        application.assign_case,
        ("supervisor",),
        "Assign the case to an investigator.",
    ),
    ("notes", schemas.NoteIn, application.add_note, WORKERS, "Add a note."),
    ("contacts", schemas.ContactIn, application.record_contact, WORKERS, "Record a contact."),
    ("escalations", schemas.ReasonIn, application.escalate_case, WORKERS, "Escalate the case."),
    (
        "restriction-requests",
        schemas.RestrictionRequestIn,
        application.request_restriction,
        WORKERS,
        "Ask accounts to restrict the case's account.",
    ),
    ("resolution", schemas.ResolutionIn, application.resolve_case, WORKERS, "Resolve the case."),
    ("closure", schemas.ReasonIn, application.close_case, WORKERS, "Close a resolved case."),
    (
        "reopening",
        schemas.ReasonIn,
        application.reopen_case,
        ("supervisor",),
        "Reopen a resolved or closed case.",
    ),
)


def _add_action(blp: ApiBlueprint, path: str, schema, command, roles, summary) -> None:
    def view(body, case_id):
        state = web_state()
        command(state.engine, case_id, body, command_context(), on_transaction=claim_in)
        return found_case(case_id)

    view.__name__ = path.replace("-", "_")
    view.__doc__ = summary
    decorated = blp.response(200, schemas.CaseOut)(view)
    # An action that takes no input (claim) takes no body either: none, or {}.
    decorated = blp.arguments(schema, required=bool(schema().fields))(decorated)
    decorated = requires(*roles)(decorated)
    blp.route(f"/<case_id>/{path}", methods=["POST"])(decorated)


def make_cases_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint("cases", __name__, url_prefix="/v1/cases", description="Investigation cases")
    blp.register_error_handler(CaseError, case_problem)
    blp.register_error_handler(ConcurrencyError, race_problem)

    @blp.route("")
    class Cases(MethodView):
        @requires(*READERS)
        @blp.arguments(schemas.CaseListArgs, location="query")
        @blp.response(200, schemas.CasePage)
        def get(self, args):
            """Cases, newest first, filtered by status, type, assignee, SLA, queue or unit."""
            limit, after = args.pop("limit"), decode_cursor(args.pop("cursor"))
            return queries.list_cases(web_state().engine, args, limit, after)

        @requires(*WORKERS)
        @blp.arguments(schemas.OpenCaseIn, example=schemas.OPEN_CASE_EXAMPLE)
        @blp.response(201, schemas.CaseOut)
        @blp.alt_response(404, description="The account is not known here (yet): retry later.")
        def post(self, body):
            """Open a suspicious_account case."""
            state = web_state()
            outcome = application.open_suspicious_account_case(
                state.engine,
                body,
                command_context(),
                load_rules(state.settings.rules_file),
                on_transaction=claim_in,
            )
            case_id = outcome.events[0].stream_id
            return found_case(case_id), 201, {"Location": f"/v1/cases/{case_id}"}

    @blp.route("/<case_id>")
    @requires(*READERS)
    @blp.response(200, schemas.CaseOut)
    def get_case(case_id):
        """A case with its verification requests and its timeline."""
        return found_case(case_id)

    @blp.route("/<case_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def case_events(case_id):
        """The case's own events in order: its audit trail."""
        return history(case_id, "case")

    @blp.route("/<case_id>/verification-requests", methods=["POST"])
    @requires(*WORKERS)
    @blp.arguments(schemas.VerificationRequestIn)
    @blp.response(201, schemas.VerificationRequestOut)
    def request_verification(body, case_id):
        """Ask a police unit to verify; answers with the request."""
        state = web_state()
        outcome = application.request_verification(
            state.engine, case_id, body, command_context(), on_transaction=claim_in
        )
        verification_id = outcome.events[0].data["verification_id"]
        case = found_case(case_id)
        (request,) = [r for r in case["verification_requests"] if r["id"] == verification_id]
        return {**request, "case_id": case_id}, 201

    for action in ACTIONS:
        _add_action(blp, *action)
    return blp
