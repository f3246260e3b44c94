"""Request and response bodies of the cases API; pages load their forms with the same schemas."""

from marshmallow import Schema, fields, validate

from services.cases.domain import (
    CASE_TYPES,
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    OUTCOMES,
    POLICE_OUTCOMES,
    QUEUES,
    RESTRICTION_TYPES,
    SLA_STATES,
    STATUSES,
    SUSPICIOUS_ACCOUNT,
    VERIFICATION_STATUSES,
)
from shared.web.pagination import PageArgs

# Every outcome some case type is resolved with; decide_resolve checks the case's own.
RESOLUTION_OUTCOMES = sorted({outcome for allowed in OUTCOMES.values() for outcome in allowed})


def _text(maximum: int, **kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=maximum), **kwargs)


class OpenCaseIn(Schema):
    case_type = fields.String(
        required=True,
        validate=validate.OneOf(
            [SUSPICIOUS_ACCOUNT],
            error="Investigators open suspicious_account cases; the others open from events.",
        ),
    )
    account_id = _text(80)
    summary = _text(2000)


class ClaimIn(Schema):
    """Claiming takes no input: the caller becomes the assignee."""


class AssignmentIn(Schema):
    investigator = _text(100, metadata={"description": "sub of the investigator"})


class NoteIn(Schema):
    text = _text(4000)


class ContactIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CONTACT_CHANNELS))
    outcome = fields.String(required=True, validate=validate.OneOf(CONTACT_OUTCOMES))
    summary = _text(2000)


class VerificationRequestIn(Schema):
    police_unit = _text(64)
    summary = _text(2000, metadata={"description": "what the police are shown of the case"})


class ReasonIn(Schema):
    reason = _text(2000)


class RestrictionRequestIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(RESTRICTION_TYPES))
    reason = _text(2000)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)


class ResolutionIn(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(RESOLUTION_OUTCOMES),
        metadata={"description": "one of the case type's own outcomes (else 422)"},
    )
    reason = _text(2000)


class ConfirmationIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(POLICE_OUTCOMES))
    police_reference = _text(100)
    officer = _text(100)
    notes = fields.String(load_default="", validate=validate.Length(max=4000))


class CaseListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.OneOf(CASE_TYPES))
    assignee = fields.String(validate=validate.Length(min=1, max=100))
    sla = fields.String(validate=validate.OneOf(SLA_STATES))
    queue = fields.String(validate=validate.OneOf(QUEUES))
    police_unit = fields.String(validate=validate.Length(min=1, max=64))


class VerificationListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(VERIFICATION_STATUSES))


class ActorOut(Schema):
    role = fields.String()
    sub = fields.String()


class TimelineEntryOut(Schema):
    at = fields.String()
    actor = fields.Nested(ActorOut)
    action = fields.String()
    event_type = fields.String()


class CaseVerificationOut(Schema):
    """A verification request as the case lists it."""

    id = fields.String()
    police_unit = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    summary = fields.String()
    requested_by = fields.String()
    requested_at = fields.String()


class VerificationRequestOut(CaseVerificationOut):
    """The answer to a verification request: the request, naming its case."""

    case_id = fields.String()


class ResolutionOut(Schema):
    outcome = fields.String()
    reason = fields.String()
    resolved_by = fields.String()
    resolved_at = fields.String()


class CaseOut(Schema):
    id = fields.String()
    case_type = fields.String()
    status = fields.String()
    account_id = fields.String()
    customer_id = fields.String(allow_none=True)
    withdrawal_id = fields.String(allow_none=True)
    source_event_id = fields.String(allow_none=True)
    summary = fields.String()
    details = fields.Dict(metadata={"description": "facts the case was opened on (masked)"})
    assignee = fields.String(allow_none=True)
    queue = fields.String()
    sla_state = fields.String()
    sla_warning_at = fields.String(allow_none=True)
    sla_due_at = fields.String()
    rules_version = fields.String(allow_none=True)
    opened_at = fields.String()
    updated_at = fields.String()
    resolution = fields.Nested(ResolutionOut, allow_none=True)
    verification_requests = fields.List(fields.Nested(CaseVerificationOut))
    timeline = fields.List(fields.Nested(TimelineEntryOut))


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseOut))
    next_cursor = fields.String(allow_none=True)


class MaskedCustomerOut(Schema):
    name_initial = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)


class ConfirmationOut(Schema):
    police_reference = fields.String()
    officer = fields.String()
    notes = fields.String()
    confirmed_by = fields.String()
    confirmed_at = fields.String()


class PoliceVerificationOut(Schema):
    """A verification request as its police unit sees it: masked, nothing more than needed."""

    id = fields.String()
    case_id = fields.String()
    police_unit = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    requested_at = fields.String()
    summary = fields.String()
    customer = fields.Nested(MaskedCustomerOut)
    amount = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    reasons = fields.List(fields.String())
    confirmation = fields.Nested(ConfirmationOut, allow_none=True)


class PoliceVerificationPage(Schema):
    items = fields.List(fields.Nested(PoliceVerificationOut))
    next_cursor = fields.String(allow_none=True)


# Request examples for the OpenAPI document (Swagger UI's "Try it out" starts from them).
OPEN_CASE_EXAMPLE = {
    "case_type": "suspicious_account",
    "account_id": "acc_01JD3Q9B2C4D6F8G0H2J4K6M8N",
    "summary": "Many small transfers in from strangers, cash out the same day.",
}
CONFIRMATION_EXAMPLE = {
    "outcome": "cleared",
    "police_reference": "PSB-HF-2026-0311",
    "officer": "Officer Li, badge 0417",
    "notes": "Spoke to the customer's son; the medical bill is genuine.",
}
