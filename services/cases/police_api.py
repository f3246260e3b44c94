"""The police liaison's API, /v1/verifications: their own unit's requests only, masked, recorded."""

from services.cases import application, queries, schemas
from services.cases.api import case_problem, race_problem
from services.cases.domain import CaseError
from shared.eventstore import ConcurrencyError
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.pagination import decode_cursor
from shared.web.problems import Problem
from shared.web.state import web_state

LIAISON = "police_liaison"


def make_police_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "verifications",
        __name__,
        url_prefix="/v1/verifications",
        description="Police-bank verification requests, for the unit they are addressed to",
    )
    blp.register_error_handler(CaseError, case_problem)
    blp.register_error_handler(ConcurrencyError, race_problem)

    @blp.route("")
    @requires(LIAISON, "auditor")
    @blp.arguments(schemas.VerificationListArgs, location="query")
    @blp.response(200, schemas.PoliceVerificationPage)
    def list_verifications(args):
        """The caller's unit's verification requests, newest first; each view is recorded.

        An auditor reads every unit's, and reading records nothing (auditors change nothing).
        """
        return application.list_verifications(
            web_state().engine,
            _unit_read(),
            args.get("status"),
            args["limit"],
            decode_cursor(args["cursor"]),
            command_context(),
        )

    @blp.route("/<verification_id>")
    @requires(LIAISON, "auditor")
    @blp.response(200, schemas.PoliceVerificationOut)
    def get_verification(verification_id):
        """One request of the caller's unit (404 for any other); the view is recorded."""
        return application.view_verification(
            web_state().engine, _unit_read(), verification_id, command_context()
        )

    @blp.route("/<verification_id>/confirmation", methods=["POST"])
    @requires(LIAISON)
    @blp.arguments(schemas.ConfirmationIn, example=schemas.CONFIRMATION_EXAMPLE)
    @blp.response(200, schemas.PoliceVerificationOut)
    def confirm_verification(body, verification_id):
        """Confirm the police outcome; it resolves the case. A second confirmation is 409."""
        engine, unit = web_state().engine, current_actor().police_unit
        application.confirm_verification(
            engine, unit, verification_id, body, command_context(), on_transaction=claim_in
        )
        return queries.get_police_verification(engine, unit, verification_id)

    return blp


def _unit_read() -> str | None:
    """The police unit whose requests the caller reads: their own, or all (None) for an auditor."""
    principal = current_actor()
    if principal.role == "auditor":
        return None
    if not principal.police_unit:  # never read as "all units" by accident
        raise Problem(403, detail="A police liaison's token must name their police_unit.")
    return principal.police_unit
