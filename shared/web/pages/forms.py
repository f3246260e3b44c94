"""A posted form read through the API's own schema: a page accepts exactly what the API does.

The schema's English messages are for API clients; a person gets a plain sentence for the
field in their language, chosen by what went wrong (missing, too long, not one of the choices).
"""

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields, validate

DATETIME_LOCAL = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


def _message(field: fields.Field, value, required: str) -> str:
    if value in (None, ""):
        return required
    if isinstance(field, fields.DateTime):
        return gettext("Enter a real date and time, for example 2026-03-02 17:30.")
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return gettext("Choose one of the options.")
        if isinstance(validator, validate.Length) and validator.max is not None:
            return gettext("Use at most %(max)d characters.", max=validator.max)
    return gettext("Check this field.")


def _local_datetime(text: str, zone: ZoneInfo) -> str | None:
    """A datetime-local value is wall-clock time where the bank is; the API wants an instant."""
    for pattern in DATETIME_LOCAL:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=zone).isoformat()
        except ValueError:
            continue
    return None


def read_form(
    schema: Schema, form: Mapping, timezone: str, required: Mapping[str, str] | None = None
) -> tuple[dict, dict[str, str]]:
    """(the body as the API would load it, {field: message}); the body is {} on errors.

    An empty optional field counts as not given, as a browser cannot leave a field out;
    `required` holds the sentence to show for each missing field ("Enter a reason.").
    """
    required = required or {}
    present, errors = {}, {}
    for name, field in schema.fields.items():
        value = (form.get(name) or "").strip()
        missing = required.get(name) or gettext("Fill in this field.")
        if value == "":
            if field.required:
                errors[name] = missing
            continue
        if isinstance(field, fields.DateTime):
            value = _local_datetime(value, ZoneInfo(timezone))
            if value is None:
                errors[name] = _message(field, "x", missing)
                continue
        present[name] = value
    try:
        body = schema.load(present)
    except ValidationError as error:
        for name in error.messages:
            if name in schema.fields and name not in errors:
                missing = required.get(name) or gettext("Fill in this field.")
                errors[name] = _message(schema.fields[name], present.get(name), missing)
        return {}, errors
    return ({}, errors) if errors else (body, {})


def typed(form: Mapping, names) -> dict[str, str]:
    """What the person typed, to show it again after a refusal."""
    return {name: (form.get(name) or "").strip() for name in names}
