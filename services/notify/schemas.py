"""Request and response schemas of notify's API."""

from marshmallow import Schema, ValidationError, fields, validate

from services.notify.domain import EDUCATION_TEMPLATES, SEGMENTS
from services.notify.rules import CUSTOMER_CHANNELS
from shared.envelope import as_utc, iso
from shared.web.pagination import PageArgs

STATUSES = ("requested", "retrying", "sent", "delivered", "failed", "suppressed")


class UtcDateTime(fields.Field):
    """RFC 3339 UTC ("…Z") whatever the database handed back (SQLite forgets the zone)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso(as_utc(value))


class NotificationOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    template = fields.String()
    category = fields.String()
    channel = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    segment = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "why it was suppressed"})
    body = fields.String(allow_none=True)
    parts = fields.List(fields.String(), allow_none=True)
    source_event_id = fields.String()
    source_event_type = fields.String()
    campaign_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    next_cursor = fields.String(allow_none=True)


class NotificationListArgs(PageArgs):
    customer_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


def _unique(values):
    if values is not None and len(set(values)) != len(values):
        raise ValidationError("List each channel once.")


class PreferencesIn(Schema):
    education_opt_out = fields.Boolean(required=True, truthy={True}, falsy={False})
    channels = fields.List(
        fields.String(validate=validate.OneOf(CUSTOMER_CHANNELS)),
        load_default=None,
        allow_none=True,
        validate=[validate.Length(min=1, max=len(CUSTOMER_CHANNELS)), _unique],
        metadata={
            "description": "the customer's channels in order; null for the bank default",
            "uniqueItems": True,
        },
    )


class PreferencesOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    education_opt_out = fields.Boolean()
    channels = fields.List(fields.String(), allow_none=True)


class CampaignIn(Schema):
    template = fields.String(
        required=True,
        validate=validate.OneOf(
            EDUCATION_TEMPLATES,
            error=f"Campaigns send education templates: {list(EDUCATION_TEMPLATES)}.",
        ),
    )
    segment = fields.String(required=True, validate=validate.OneOf(SEGMENTS))


class CampaignOut(Schema):
    id = fields.String()
    template = fields.String()
    segment = fields.String()
    status = fields.String()
    recipients = fields.Integer()
    requested = fields.Integer()
    suppressed = fields.Integer()
    pending = fields.Integer()
    started_by = fields.String()
    started_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)
