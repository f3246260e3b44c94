"""Notify's commands: record contacts, set preferences, request notifications, start campaigns."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, not_, select

from services.notify.campaign import CAMPAIGN, decide_start
from services.notify.contact_book import (
    CONTACT,
    contact_stream,
    decide_preferences,
    decide_record_details,
)
from services.notify.domain import (
    EDUCATION,
    NO_CHANNEL,
    NO_CONTACT,
    OPTED_OUT,
    TEMPLATES,
    channel_order,
    elderly_born_on_or_before,
    first_allowed,
    language_of,
    segment_of,
)
from services.notify.notification import NOTIFICATION, decide_request
from services.notify.rendering import Renderer
from services.notify.rules import Rules, load_rules
from shared.application import Outcome, execute, execute_in
from shared.businesstime import business_date
from shared.config import Settings, load_settings
from shared.consumer import RetryLater
from shared.envelope import Context, NewEvent, iso
from shared.projections import Projections


@dataclass(frozen=True)
class NotifyRuntime:
    """What notify's commands need besides a connection: read models, rules, templates."""

    projections: Projections
    rules: Rules
    renderer: Renderer

    def table(self, name: str):
        return self.projections.metadata.tables[name]


def record_contact_details(
    conn: Connection,
    runtime: NotifyRuntime,
    customer_id: str,
    changes: dict,
    source: dict,
    context: Context,
) -> Outcome:
    """What accounts said about a customer becomes our own ContactDetailsRecorded."""
    changes = {**changes, "customer_id": customer_id}
    return execute_in(
        conn,
        CONTACT,
        contact_stream(customer_id),
        lambda state: decide_record_details(state, changes, source),
        context,
        runtime.projections,
    )


def change_preferences(
    engine: Engine,
    runtime: NotifyRuntime,
    customer_id: str,
    body: dict,
    context: Context,
    on_transaction: Callable | None = None,
) -> Outcome:
    return execute(
        engine,
        CONTACT,
        contact_stream(customer_id),
        lambda state: decide_preferences(
            state, customer_id, body["education_opt_out"], body.get("channels")
        ),
        context,
        runtime.projections,
        on_transaction=on_transaction,
    )


def find_contact(conn: Connection, runtime: NotifyRuntime, customer_id: str):
    contacts = runtime.table("notify_contacts")
    return conn.execute(select(contacts).where(contacts.c.customer_id == customer_id)).first()


def request_notification(
    conn: Connection,
    runtime: NotifyRuntime,
    notification_id: str,
    request: dict,
    now: datetime,
    context: Context,
) -> Outcome:
    """Record what is to be sent, rendered now from the contact book; nothing is sent here.

    `request` has customer_id, template, source_event_id, source_event_type, facts and
    optionally campaign_id. The notification id makes a repeat of the same request a no-op.
    """
    contact = find_contact(conn, runtime, request["customer_id"])
    if contact is None and request.get("campaign_id") is None:
        # The accounts event that introduces this customer is still on its way (another
        # stream); the consumer retries this one until it has arrived.
        raise RetryLater(f"customer {request['customer_id']} is not in the contact book yet")
    event = plan_notification(runtime, notification_id, request, contact, now)
    return execute_in(
        conn,
        NOTIFICATION,
        notification_id,
        lambda state: decide_request(state, event),
        context,
        runtime.projections,
    )


def plan_notification(
    runtime: NotifyRuntime, notification_id: str, request: dict, contact, now: datetime
) -> NewEvent:
    rules, template = runtime.rules, request["template"]
    category = TEMPLATES[template]
    base = {
        "notification_id": notification_id,
        "customer_id": request["customer_id"],
        "template": template,
        "category": category,
        "source_event_id": request["source_event_id"],
        "source_event_type": request["source_event_type"],
        "campaign_id": request.get("campaign_id"),
        "facts": request.get("facts") or {},
    }
    if contact is None:
        return NewEvent("NotificationSuppressed", {**base, "reason": NO_CONTACT})
    if category == EDUCATION and contact.education_opt_out:
        return NewEvent("NotificationSuppressed", {**base, "reason": OPTED_OUT})
    order = channel_order(
        contact.channels, rules.default_order, rules.enabled_channels, contact.phone, contact.email
    )
    if not order:
        return NewEvent("NotificationSuppressed", {**base, "reason": NO_CHANNEL})
    segment = segment_of(contact.birth_date, contact.occupation, business_date(now, rules.timezone))
    language = language_of(contact.preferred_language)
    rendered = runtime.renderer.render(template, segment, language, base["facts"])
    due = first_allowed(now, category, rules.timezone, rules.quiet_start, rules.quiet_end)
    data = {
        **base,
        "channel": order[0],
        "fallbacks": list(order[1:]),
        "language": language,
        "segment": segment,
        "template_source": rendered.source,
        "subject": rendered.subject,
        "body": rendered.body,
        "parts": rendered.parts,
        "next_attempt_at": iso(due),
        "deferred": due != now,
    }
    return NewEvent("NotificationRequested", data)


def segment_members(conn: Connection, runtime: NotifyRuntime, segment: str, now: datetime):
    """Customer ids in a segment on today's business date (an unknown birth date is not elderly)."""
    contacts = runtime.table("notify_contacts")
    cutoff = elderly_born_on_or_before(business_date(now, runtime.rules.timezone)).isoformat()
    elderly = and_(contacts.c.birth_date.is_not(None), contacts.c.birth_date <= cutoff)
    condition = {
        "elderly": elderly,
        "student": and_(not_(elderly), contacts.c.is_student),
        "standard": and_(not_(elderly), not_(contacts.c.is_student)),
    }[segment]
    query = select(contacts.c.customer_id).where(condition).order_by(contacts.c.customer_id)
    return [row.customer_id for row in conn.execute(query)]


def start_campaign(
    conn: Connection,
    runtime: NotifyRuntime,
    campaign_id: str,
    template: str,
    segment: str,
    now: datetime,
    context: Context,
) -> Outcome:
    """Fix the audience at the start, in the same transaction; the worker fans it out."""
    recipients = segment_members(conn, runtime, segment, now)
    return execute_in(
        conn,
        CAMPAIGN,
        campaign_id,
        lambda state: decide_start(state, campaign_id, template, segment, recipients),
        context,
        runtime.projections,
    )


class Runtimes:
    """The NotifyRuntime for a service's settings, built once per rules file and timezone.

    Handlers get no settings from the core, so they use the ones the spec was built with
    (or, when none were given, the environment's).
    """

    def __init__(self, projections: Projections, settings: Settings | None = None):
        self.projections = projections
        self.settings = settings
        self._built: dict[tuple[str, str], NotifyRuntime] = {}

    def for_settings(self, settings: Settings) -> NotifyRuntime:
        key = (settings.rules_file, settings.timezone)
        if key not in self._built:
            rules = load_rules(settings)
            self._built[key] = NotifyRuntime(self.projections, rules, Renderer(rules))
        return self._built[key]

    def default(self) -> NotifyRuntime:
        return self.for_settings(self.settings or load_settings("notify"))
