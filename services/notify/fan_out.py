"""Campaign fan-out: pending recipients become notifications; finished campaigns complete."""

from datetime import datetime

from sqlalchemy import Engine, and_, select

from services.notify.application import NotifyRuntime, request_notification
from services.notify.campaign import CAMPAIGN, campaign_notification_id, decide_complete
from shared.application import execute
from shared.db import read_transaction, write_transaction
from shared.envelope import SYSTEM_ACTOR, Context


def fan_out_batch(engine: Engine, runtime: NotifyRuntime, now: datetime) -> int:
    campaigns = runtime.table("notify_campaigns")
    recipients = runtime.table("notify_campaign_recipients")
    query = (
        select(
            recipients.c.campaign_id,
            recipients.c.customer_id,
            campaigns.c.template,
            campaigns.c.source_event_id,
            campaigns.c.correlation_id,
        )
        .join(campaigns, campaigns.c.id == recipients.c.campaign_id)
        .where(recipients.c.outcome.is_(None), campaigns.c.status == "running")
        .order_by(recipients.c.campaign_id, recipients.c.customer_id)
        .limit(runtime.rules.campaign_batch_size)
    )
    with write_transaction(engine) as conn:
        rows = conn.execute(query).all()
        for row in rows:
            context = Context(SYSTEM_ACTOR, now, row.correlation_id, row.source_event_id)
            request = {
                "customer_id": row.customer_id,
                "template": row.template,
                "source_event_id": row.source_event_id,
                "source_event_type": "CampaignStarted",
                "campaign_id": row.campaign_id,
                "facts": {},
            }
            notification_id = campaign_notification_id(row.campaign_id, row.customer_id)
            request_notification(conn, runtime, notification_id, request, now, context)
    return len(rows)


def complete_campaigns(engine: Engine, runtime: NotifyRuntime, now: datetime) -> None:
    """A running campaign with every recipient accounted for is completed, with its counts."""
    campaigns = runtime.table("notify_campaigns")
    finished = and_(
        campaigns.c.status == "running",
        campaigns.c.requested + campaigns.c.suppressed >= campaigns.c.recipients,
    )
    with read_transaction(engine) as conn:
        rows = conn.execute(select(campaigns).where(finished)).all()
    for row in rows:
        context = Context(SYSTEM_ACTOR, now, row.correlation_id, row.source_event_id)
        execute(
            engine,
            CAMPAIGN,
            row.id,
            lambda state, row=row: decide_complete(state, row.id, row.requested, row.suppressed),
            context,
            runtime.projections,
        )
