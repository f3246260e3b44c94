"""Notify's HTTP API: notifications, customer preferences and campaigns (DOMAIN §8)."""

from sqlalchemy import select

from services.notify.application import Runtimes, change_preferences, start_campaign
from services.notify.campaign import CAMPAIGN, CampaignExists
from services.notify.contact_book import UnknownCustomer
from services.notify.schemas import (
    CampaignIn,
    CampaignOut,
    NotificationListArgs,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
)
from shared.db import read_transaction
from shared.ids import new_id
from shared.web.auth import current_actor, requires
from shared.web.context import command_context
from shared.web.history import HistorySchema, history
from shared.web.idempotency import claim_in, idempotent_transaction
from shared.web.json_bodies import ApiBlueprint
from shared.web.pagination import decode_cursor, page
from shared.web.problems import Problem
from shared.web.state import web_state

READERS = ("system", "investigator", "supervisor", "auditor", "teller")
PREFERENCE_WRITERS = ("teller", "system")
CAMPAIGN_READERS = ("supervisor", "auditor")
CONTACT_HISTORY_READERS = ("system", "auditor")


def make_blueprints(runtimes: Runtimes) -> list[ApiBlueprint]:
    return [
        notifications_blueprint(runtimes),
        customers_blueprint(runtimes),
        campaigns_blueprint(runtimes),
    ]


def _runtime(runtimes: Runtimes):
    return runtimes.for_settings(web_state().settings)


def notifications_blueprint(runtimes: Runtimes) -> ApiBlueprint:
    blp = ApiBlueprint("notifications", __name__, url_prefix="/v1/notifications")

    @blp.route("")
    @requires(*READERS)
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, NotificationPage)
    def list_notifications(args):
        """Notifications, newest first, by customer and status.

        Tellers read the notifications of the customer they serve, so they must name one.
        """
        if current_actor().role == "teller" and not args["customer_id"]:
            raise Problem(
                403, detail="A teller lists one customer's notifications: name customer_id."
            )
        table = _runtime(runtimes).table("notify_notifications")
        query = select(table).order_by(table.c.position.desc()).limit(args["limit"] + 1)
        for name in ("customer_id", "status"):
            if args[name]:
                query = query.where(table.c[name] == args[name])
        after = decode_cursor(args["cursor"])
        if after is not None:
            if len(after) != 1 or not isinstance(after[0], int):
                raise Problem(422, errors={"cursor": ["Not a cursor this service issued."]})
            query = query.where(table.c.position < after[0])
        with read_transaction(web_state().engine) as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
        return page(rows, args["limit"], lambda row: [row["position"]])

    @blp.route("/<notification_id>")
    @requires(*READERS)
    @blp.response(200, NotificationOut)
    def get_notification(notification_id):
        """One notification and where its delivery stands."""
        table = _runtime(runtimes).table("notify_notifications")
        with read_transaction(web_state().engine) as conn:
            row = (
                conn.execute(select(table).where(table.c.id == notification_id)).mappings().first()
            )
        if row is None:
            raise Problem(404, detail=f"No notification {notification_id}.")
        return dict(row)

    @blp.route("/<notification_id>/events")
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def notification_events(notification_id):
        """A notification's own events: requested, each attempt, and how it ended."""
        return history(notification_id, "notification")

    return blp


def customers_blueprint(runtimes: Runtimes) -> ApiBlueprint:
    blp = ApiBlueprint("customer-preferences", __name__, url_prefix="/v1/customers")

    @blp.route("/<customer_id>/preferences", methods=["POST"])
    @requires(*PREFERENCE_WRITERS)
    @blp.arguments(PreferencesIn)
    @blp.response(200, PreferencesOut)
    def set_preferences(body, customer_id):
        """Set a customer's education opt-out and channel order (security notices ignore both)."""
        state = web_state()
        try:
            outcome = change_preferences(
                state.engine,
                _runtime(runtimes),
                customer_id,
                body,
                command_context(),
                on_transaction=claim_in,
            )
        except UnknownCustomer as exc:
            raise Problem(404, detail=f"No customer {customer_id} in the contact book.") from exc
        contact = outcome.state
        return {
            "id": customer_id,
            "customer_id": customer_id,
            "education_opt_out": contact.education_opt_out,
            "channels": list(contact.channels) if contact.channels else None,
        }

    @blp.route("/<customer_id>/events")
    @requires(*CONTACT_HISTORY_READERS)
    @blp.response(200, HistorySchema)
    def contact_events(customer_id):
        """The contact book's own events for one customer (personal data: system and audit)."""
        return history(f"contact-{customer_id}", "contact")

    return blp


def campaigns_blueprint(runtimes: Runtimes) -> ApiBlueprint:
    blp = ApiBlueprint("campaigns", __name__, url_prefix="/v1/campaigns")

    @blp.route("", methods=["POST"])
    @requires("supervisor")
    @blp.arguments(CampaignIn)
    @blp.response(201, CampaignOut)
    def create_campaign(body):
        """Start an education campaign to one segment; the worker fans it out."""
        state = web_state()
        runtime = _runtime(runtimes)
        campaign_id = new_id()
        context = command_context()
        try:
            with idempotent_transaction(state.engine) as conn:
                start_campaign(
                    conn,
                    runtime,
                    campaign_id,
                    body["template"],
                    body["segment"],
                    context.occurred_at,
                    context,
                )
        except CampaignExists as exc:
            raise Problem(409, detail=f"Campaign {campaign_id} exists.") from exc
        return (
            read_campaign(runtime, campaign_id),
            201,
            {"Location": f"/v1/campaigns/{campaign_id}"},
        )

    @blp.route("/<campaign_id>")
    @requires(*CAMPAIGN_READERS)
    @blp.response(200, CampaignOut)
    def get_campaign(campaign_id):
        """A campaign's progress: recipients, requested, suppressed, pending."""
        return read_campaign(_runtime(runtimes), campaign_id)

    @blp.route("/<campaign_id>/events")
    @requires(*CAMPAIGN_READERS)
    @blp.response(200, HistorySchema)
    def campaign_events(campaign_id):
        """A campaign's own events."""
        return history(campaign_id, CAMPAIGN.name)

    return blp


def read_campaign(runtime, campaign_id: str) -> dict:
    table = runtime.table("notify_campaigns")
    with read_transaction(web_state().engine) as conn:
        row = conn.execute(select(table).where(table.c.id == campaign_id)).mappings().first()
    if row is None:
        raise Problem(404, detail=f"No campaign {campaign_id}.")
    campaign = dict(row)
    campaign["pending"] = campaign["recipients"] - campaign["requested"] - campaign["suppressed"]
    return campaign
