"""DOMAIN §2 lists: {"items", "next_cursor"}, newest first, ?limit= and an opaque cursor."""

import base64

from marshmallow import Schema, fields, validate

from shared import codec
from shared.web.problems import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageArgs(Schema):
    """Query arguments every list endpoint accepts; extend it with the list's own filters."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None)


def encode_cursor(key: list) -> str:
    """The sort key of the last item shown, opaque to callers."""
    return base64.urlsafe_b64encode(codec.dumpb(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list | None:
    """The key a cursor carries; None (the first page) for no cursor or an empty `cursor=`."""
    if not cursor:
        return None
    try:
        key = codec.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise Problem(422, errors={"cursor": ["Not a cursor this service issued."]}) from exc
    if not isinstance(key, list):
        raise Problem(422, errors={"cursor": ["Not a cursor this service issued."]})
    return key


def page(rows: list, limit: int, key_of) -> dict:
    """Given up to limit + 1 rows in order, the page and the cursor to the next one."""
    items = rows[:limit]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(key_of(items[-1])) if more else None}
