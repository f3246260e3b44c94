"""`GET …/{id}/events`: an aggregate's own events in order, the audit trail of DOMAIN §2."""

from marshmallow import Schema, fields

from shared import eventstore
from shared.db import read_transaction
from shared.envelope import iso
from shared.web.problems import Problem
from shared.web.state import web_state


class ActorSchema(Schema):
    role = fields.String()
    sub = fields.String()


class EventSchema(Schema):
    """One event as DOMAIN §4 describes it, plus when it was recorded and its chain hash."""

    event_id = fields.String()
    type = fields.String()
    schema_version = fields.Integer()
    stream_id = fields.String()
    version = fields.Integer()
    position = fields.Integer()
    occurred_at = fields.String()
    recorded_at = fields.String()
    correlation_id = fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    actor = fields.Nested(ActorSchema)
    data = fields.Dict()
    hash = fields.String()


class HistorySchema(Schema):
    items = fields.List(fields.Nested(EventSchema))


def history(stream_id: str, aggregate: str) -> dict:
    """The stream's events, or a 404 problem if no `aggregate` of that id exists."""
    with read_transaction(web_state().engine) as conn:
        events = eventstore.read_stream(conn, stream_id)
    if not events or events[0].aggregate != aggregate:
        raise Problem(404, detail=f"No {aggregate} {stream_id}.")
    return {
        "items": [
            {**event.envelope(), "recorded_at": iso(event.recorded_at), "hash": event.hash}
            for event in events
        ]
    }
