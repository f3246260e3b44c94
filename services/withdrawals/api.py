"""HTTP: thin flask-smorest views that parse, call the application and answer (DOMAIN §6)."""

from flask import current_app
from flask.views import MethodView

from services.withdrawals import application, queries
from services.withdrawals.appointments import Booking
from services.withdrawals.problems import domain_problems
from services.withdrawals.rules import load_rules
from services.withdrawals.rules_api import make_rules_blueprint
from services.withdrawals.schemas import (
    APPOINTMENT_EXAMPLE,
    WITHDRAWAL_EXAMPLE,
    AppointmentCancelArgs,
    AppointmentIn,
    AppointmentOut,
    CancellationIn,
    PayoutIn,
    WithdrawalIn,
    WithdrawalListArgs,
    WithdrawalOut,
    WithdrawalPage,
)
from services.withdrawals.snapshots import WithdrawalRequest
from shared.db import read_transaction
from shared.ids import new_id
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema, history
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.pagination import decode_cursor, page
from shared.web.problems import Problem
from shared.web.state import web_state

WRITERS = ("teller", "system")
READERS = ("system", "teller", "investigator", "supervisor", "auditor")
NOT_HEARD_OF = "The account is not known here yet (accounts' event is on its way): retry."
NOT_HEARD_OF_EITHER = (
    "The account is not known here yet (accounts' event is on its way): retry;"
    " or no appointment has this appointment_id."
)
RULES_KEY = "withdrawals.rules"


def make_blueprints() -> list[ApiBlueprint]:
    return [_appointments(), _withdrawals(), make_rules_blueprint(_service)]


def _service() -> application.Service:
    """The app's service context; the rules file is read once per app, on first use."""
    state = web_state()
    rules = current_app.extensions.get(RULES_KEY)
    if rules is None:
        rules = current_app.extensions[RULES_KEY] = load_rules(state.settings.rules_file)
    return application.Service(state.engine, state.spec.projections, rules, state.settings.timezone)


def _read_scope() -> str | None:
    """A teller sees their own branch only (an empty scope sees nothing); others see all."""
    principal = current_actor()
    return (principal.branch_id or "") if principal.role == "teller" else None


def _write_scope() -> str | None:
    principal = current_actor()
    if principal.role != "teller":
        return None
    if not principal.branch_id:
        raise Problem(403, detail="A teller's token must name their branch_id.")
    return principal.branch_id


def _acting_branch(requested: str) -> str:
    """The body names the branch; a teller may only name the one in their token (branch scope)."""
    scope = _write_scope()
    if scope is not None and requested != scope:
        raise Problem(403, detail=f"A teller acts only for their own branch, {scope}.")
    return requested


def _visible_row(row: dict | None, kind: str, key: str) -> dict:
    scope = _read_scope()
    if row is None or (scope is not None and row["branch_id"] != scope):
        raise Problem(404, detail=f"No {kind} {key}.")
    return row


def _appointments() -> ApiBlueprint:
    blp = ApiBlueprint("appointments", __name__, url_prefix="/v1/appointments")
    domain_problems(blp)

    @blp.route("", methods=["POST"])
    @requires(*WRITERS)
    @blp.arguments(AppointmentIn, example=APPOINTMENT_EXAMPLE)
    @blp.response(201, AppointmentOut)
    @blp.alt_response(404, description=NOT_HEARD_OF)
    def book(body):
        """Book a registration for a large cash withdrawal on one day."""
        booking = Booking(
            account_id=body["account_id"],
            amount=body["amount"],
            date=body["date"],
            branch_id=_acting_branch(body["branch_id"]),
            purpose=body["purpose"],
            source_of_funds=body["source_of_funds"],
        )
        appointment_id = new_id("apt_")
        row = application.book_appointment(
            _service(), appointment_id, booking, command_context(), on_transaction=claim_in
        )
        return row, 201, {"Location": f"/v1/appointments/{appointment_id}"}

    @blp.route("/<appointment_id>")
    class AppointmentResource(MethodView):
        @requires(*READERS)
        @blp.response(200, AppointmentOut)
        def get(self, appointment_id):
            """An appointment."""
            with read_transaction(web_state().engine) as conn:
                row = queries.appointment_row(conn, web_state().spec.projections, appointment_id)
            return _visible_row(row, "appointment", appointment_id)

        @requires(*WRITERS)
        @blp.arguments(AppointmentCancelArgs, location="query")
        @blp.response(200, AppointmentOut)
        def delete(self, args, appointment_id):
            """Cancel an appointment that has not been used."""
            return application.cancel_appointment(
                _service(),
                appointment_id,
                args["reason"],
                command_context(),
                _write_scope(),
                on_transaction=claim_in,
            )

    @blp.route("/<appointment_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def appointment_events(appointment_id):
        """The appointment's own events, in order."""
        with read_transaction(web_state().engine) as conn:
            row = queries.appointment_row(conn, web_state().spec.projections, appointment_id)
        _visible_row(row, "appointment", appointment_id)
        return history(appointment_id, "appointment")

    return blp


def _withdrawals() -> ApiBlueprint:
    blp = ApiBlueprint("withdrawals", __name__, url_prefix="/v1/withdrawals")
    domain_problems(blp)

    @blp.route("")
    class Withdrawals(MethodView):
        @requires(*WRITERS)
        @blp.arguments(WithdrawalIn, example=WITHDRAWAL_EXAMPLE)
        @blp.response(201, WithdrawalOut)
        @blp.alt_response(404, description=NOT_HEARD_OF_EITHER)
        def post(self, body):
            """Request a withdrawal: 201 with its status and reasons, whatever the decision."""
            request = WithdrawalRequest(
                account_id=body["account_id"],
                amount=body["amount"],
                channel=body["channel"],
                purpose=body["purpose"],
                appointment_id=body["appointment_id"],
            )
            branch_id = _acting_branch(body["branch_id"])
            withdrawal_id = new_id("wd_")
            row = application.request_withdrawal(
                _service(),
                withdrawal_id,
                request,
                body["payee"],
                branch_id,
                command_context(),
                on_transaction=claim_in,
            )
            return row, 201, {"Location": f"/v1/withdrawals/{withdrawal_id}"}

        @requires(*READERS)
        @blp.arguments(WithdrawalListArgs, location="query")
        @blp.response(200, WithdrawalPage)
        def get(self, args):
            """Withdrawals, newest first, by account and status."""
            after = decode_cursor(args["cursor"])
            if after is not None and not (len(after) == 1 and isinstance(after[0], str)):
                raise Problem(422, errors={"cursor": ["Not a cursor this service issued."]})
            with read_transaction(web_state().engine) as conn:
                rows = queries.withdrawal_page(
                    conn,
                    web_state().spec.projections,
                    limit=args["limit"],
                    after=after[0] if after else None,
                    account_id=args["account_id"],
                    status=args["status"],
                    branch_id=_read_scope(),
                )
            return page(rows, args["limit"], lambda row: [row["id"]])

    def _visible_withdrawal(withdrawal_id: str) -> dict:
        with read_transaction(web_state().engine) as conn:
            row = queries.withdrawal_row(conn, web_state().spec.projections, withdrawal_id)
        return _visible_row(row, "withdrawal", withdrawal_id)

    @blp.route("/<withdrawal_id>")
    @requires(*READERS)
    @blp.response(200, WithdrawalOut)
    def get_withdrawal(withdrawal_id):
        """A withdrawal with its decision: rules version, inputs and every rule's verdict."""
        return _visible_withdrawal(withdrawal_id)

    @blp.route("/<withdrawal_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def withdrawal_events(withdrawal_id):
        """The withdrawal's own events, in order."""
        _visible_withdrawal(withdrawal_id)
        return history(withdrawal_id, "withdrawal")

    @blp.route("/<withdrawal_id>/payout", methods=["POST"])
    @requires(*WRITERS)
    @blp.arguments(PayoutIn, required=False)  # nothing to say: no body, or {}
    @blp.response(200, WithdrawalOut)
    def pay_out(body, withdrawal_id):
        """Pay out an approved or police-released withdrawal."""
        return application.pay_out(
            _service(), withdrawal_id, command_context(), _write_scope(), on_transaction=claim_in
        )

    @blp.route("/<withdrawal_id>/cancellation", methods=["POST"])
    @requires(*WRITERS)
    @blp.arguments(CancellationIn)
    @blp.response(200, WithdrawalOut)
    def cancel(body, withdrawal_id):
        """The customer withdraws a held, approved or released request."""
        return application.cancel_withdrawal(
            _service(),
            withdrawal_id,
            body["reason"],
            command_context(),
            _write_scope(),
            on_transaction=claim_in,
        )

    return blp
