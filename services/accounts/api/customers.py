"""/v1/customers: register customers, read them (masked), change their contact details."""

from flask.views import MethodView

from services.accounts import application, queries
from services.accounts.api.access import (
    READERS,
    WRITERS,
    answer_domain_errors,
    customer_view,
    masked_history,
    policy,
    today,
)
from services.accounts.schemas import CUSTOMER_EXAMPLE, ContactIn, CustomerIn, CustomerOut
from shared.db import read_transaction
from shared.ids import new_id
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.problems import Problem
from shared.web.state import web_state


def read_customer(customer_id: str) -> dict:
    with read_transaction(web_state().engine) as conn:
        row = queries.customer(conn, customer_id)
    if row is None:
        raise Problem(404, detail="No such customer.")
    return customer_view(row, current_actor())


def make_customers_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint("customers", __name__, url_prefix="/v1/customers")
    answer_domain_errors(blp)

    @blp.route("")
    class Customers(MethodView):
        @requires(*WRITERS)
        @blp.arguments(CustomerIn, example=CUSTOMER_EXAMPLE)
        @blp.response(201, CustomerOut)
        def post(self, body):
            """Register a customer (one per id number)."""
            state, customer_id = web_state(), new_id("cus_")
            application.register_customer(
                state.engine,
                state.spec.projections,
                policy(),
                customer_id,
                body,
                today(),
                command_context(),
                on_transaction=claim_in,
            )
            return read_customer(customer_id), 201, {"Location": f"/v1/customers/{customer_id}"}

    @blp.route("/<customer_id>")
    @requires(*READERS)
    @blp.response(200, CustomerOut)
    def get_customer(customer_id):
        """A customer, with the segment as of today; the id number masked but for `system`."""
        return read_customer(customer_id)

    @blp.route("/<customer_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def customer_events(customer_id):
        """A customer's own events, personal fields masked as in the customer."""
        return masked_history(customer_id, "customer", current_actor())

    @blp.route("/<customer_id>/contact", methods=["POST"])
    @requires(*WRITERS)
    @blp.arguments(ContactIn)
    @blp.response(200, CustomerOut)
    def change_contact(body, customer_id):
        """Replace a customer's phone, email and preferred language."""
        state = web_state()
        application.change_contact(
            state.engine,
            state.spec.projections,
            customer_id,
            body,
            command_context(),
            on_transaction=claim_in,
        )
        return read_customer(customer_id)

    return blp
