"""/v1/watchlist: id numbers police reported; adding and removing are events."""

from flask.views import MethodView

from services.accounts import application, queries
from services.accounts.api.access import (
    WATCHLIST_READERS,
    WATCHLIST_WRITERS,
    answer_domain_errors,
    mask_personal,
    masked_history,
)
from services.accounts.schemas import WATCHLIST_EXAMPLE, ReasonIn, WatchlistIn, WatchlistOut
from shared.db import read_transaction
from shared.ids import new_id
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema
from shared.web.idempotency import claim_in
from shared.web.json_bodies import ApiBlueprint
from shared.web.problems import Problem
from shared.web.state import web_state

REMOVED = "removed"


def read_entry(entry_id: str) -> dict:
    with read_transaction(web_state().engine) as conn:
        row = queries.watchlist_entry(conn, entry_id)
    if row is None:
        raise Problem(404, detail="No such watchlist entry.")
    return mask_personal(row, current_actor())


def make_watchlist_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint("watchlist", __name__, url_prefix="/v1/watchlist")
    answer_domain_errors(blp)

    @blp.route("")
    class Watchlist(MethodView):
        @requires(*WATCHLIST_WRITERS)
        @blp.arguments(WatchlistIn, example=WATCHLIST_EXAMPLE)
        @blp.response(201, WatchlistOut)
        def post(self, body):
            """Put an id number on the watchlist, with the police reference."""
            state, entry_id = web_state(), new_id("wl_")
            application.add_to_watchlist(
                state.engine,
                state.spec.projections,
                entry_id,
                body,
                command_context(),
                on_transaction=claim_in,
            )
            return read_entry(entry_id), 201, {"Location": f"/v1/watchlist/{entry_id}"}

    @blp.route("/<entry_id>")
    class WatchlistEntry(MethodView):
        @requires(*WATCHLIST_READERS)
        @blp.response(200, WatchlistOut)
        def get(self, entry_id):
            """A watchlist entry (id number masked)."""
            return read_entry(entry_id)

        @requires(*WATCHLIST_WRITERS)
        @blp.arguments(ReasonIn)
        @blp.response(200, WatchlistOut)
        def delete(self, body, entry_id):
            """Remove an entry (409 if it was removed already)."""
            state = web_state()
            application.remove_from_watchlist(
                state.engine,
                state.spec.projections,
                entry_id,
                body["reason"] or REMOVED,
                command_context(),
                on_transaction=claim_in,
            )
            return read_entry(entry_id)

    @blp.route("/<entry_id>/events")
    @requires(*WATCHLIST_READERS)
    @blp.response(200, HistorySchema)
    def entry_events(entry_id):
        """A watchlist entry's own events (id number masked)."""
        return masked_history(entry_id, "watchlist", current_actor())

    return blp
