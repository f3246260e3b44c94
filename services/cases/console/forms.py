"""The console's action forms: their fields, words, and what each says when left empty."""

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from services.cases.domain import CONTACT_CHANNELS, CONTACT_OUTCOMES, OUTCOMES, RESTRICTION_TYPES
from services.cases.words import choices
from shared.web.pages.forms import read_form

REQUIRED = {
    "investigator": _l("Enter the user id of the investigator."),
    "text": _l("Enter the note."),
    "channel": _l("Choose how you contacted the customer."),
    "outcome": _l("Choose an outcome."),
    "summary": _l("Enter a summary."),
    "police_unit": _l("Enter the police unit, for example PSB-HF-001."),
    "reason": _l("Enter a reason."),
    "type": _l("Choose a type of restriction."),
}


def read_action_form(schema: Schema, form: Mapping, timezone: str) -> tuple[dict, dict]:
    """An action's form, with the console's words for what is missing."""
    required = {name: str(text) for name, text in REQUIRED.items()}
    return read_form(schema, form, timezone, required)


@dataclass(frozen=True)
class Field:
    """One control of an action form: how it is drawn and what it says."""

    name: str
    label: str
    kind: str = "text"  # text | textarea | radios | datetime
    choices: tuple = ()
    hint: str = ""


def action_forms(case_type: str) -> dict[str, tuple[str, tuple[Field, ...]]]:
    """The console's form for each case action: (heading, fields), with the API's field names."""
    reason = Field("reason", _l("Reason"), "textarea")
    return {
        "claim": (_l("Claim the case"), ()),
        "assignment": (
            _l("Assign the case"),
            (Field("investigator", _l("Investigator's user id"), hint=_l("For example i-007.")),),
        ),
        "notes": (_l("Add a note"), (Field("text", _l("Note"), "textarea"),)),
        "contacts": (
            _l("Record a contact with the customer"),
            (
                Field(
                    "channel",
                    _l("How did you contact the customer?"),
                    "radios",
                    choices("channel", CONTACT_CHANNELS),
                ),
                Field(
                    "outcome",
                    _l("What happened?"),
                    "radios",
                    choices("contact_outcome", CONTACT_OUTCOMES),
                ),
                Field("summary", _l("Summary of the conversation"), "textarea"),
            ),
        ),
        "verification-requests": (
            _l("Request police verification"),
            (
                Field("police_unit", _l("Police unit"), hint=_l("For example PSB-HF-001.")),
                Field(
                    "summary",
                    _l("What the police should know"),
                    "textarea",
                    hint=_l("The police unit sees this summary with the masked customer."),
                ),
            ),
        ),
        "escalations": (_l("Escalate to the supervisors"), (reason,)),
        "restriction-requests": (
            _l("Request a restriction on the account"),
            (
                Field(
                    "type", _l("Restriction"), "radios", choices("restriction", RESTRICTION_TYPES)
                ),
                reason,
                Field(
                    "expires_at",
                    _l("Expires at (optional)"),
                    "datetime",
                    hint=_l("Leave empty for no expiry. Local time."),
                ),
            ),
        ),
        "resolution": (
            _l("Resolve the case"),
            (
                Field(
                    "outcome",
                    _l("Outcome"),
                    "radios",
                    choices("outcome", OUTCOMES.get(case_type, ())),
                ),
                reason,
            ),
        ),
        "closure": (_l("Close the case"), (reason,)),
        "reopening": (_l("Reopen the case"), (reason,)),
    }
