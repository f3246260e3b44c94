"""A posted HTML form read through the API's own marshmallow schema: one set of rules."""

from flask import request
from flask_babel import gettext
from marshmallow import Schema, ValidationError


def read_form(schema: Schema, names: tuple[str, ...]) -> tuple[dict, dict[str, str]]:
    """The typed values (kept to re-show) and one readable message per invalid field.

    An empty optional field counts as not given, as a browser cannot leave a field out.
    """
    values = {name: request.form.get(name, "").strip() for name in names}
    given = {
        name: value
        for name, value in values.items()
        if value or (name in schema.fields and schema.fields[name].required)
    }
    try:
        schema.load(given)
    except ValidationError as error:
        messages = error.normalized_messages()
        return values, {name: _message(values.get(name, ""), messages[name]) for name in messages}
    return values, {}


def _message(value: str, raw) -> str:
    if not value:
        return gettext("Fill in this field.")
    detail = raw[0] if isinstance(raw, list) and raw else str(raw)
    if "Must be one of" in str(detail):
        return gettext("Choose one of the options.")
    if "Longer than maximum length" in str(detail):
        return gettext("This is too long.")
    return gettext("Check this value: %(detail)s", detail=detail)
