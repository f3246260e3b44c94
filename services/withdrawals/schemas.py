"""Request and response bodies of the withdrawals API (money as two-decimal CNY strings)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.withdrawals.domain import CHANNELS, PURPOSES, STATUSES, TRANSFER_CHANNELS
from shared.money import Currency, Money
from shared.web.openapi import NULL_ONLY, Variant, one_of_by
from shared.web.pagination import PageArgs

ID = validate.Length(min=1, max=64)
BRANCH = "The branch acting; a teller names the one in their token (else 403)."
# A transfer names its payee; cash has none. The document says so, one variant per channel.
PAYEE_BY_CHANNEL = one_of_by(
    "channel",
    {
        channel: Variant(require=("payee",), narrow={"payee": {"nullable": False}})
        if channel in TRANSFER_CHANNELS
        else Variant(replace={"payee": NULL_ONLY})
        for channel in CHANNELS
    },
)
TEXT = validate.Length(min=1, max=500)


class PayeeSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    account = fields.String(required=True, validate=ID)


class AppointmentIn(Schema):
    account_id = fields.String(required=True, validate=ID)
    amount = Money(required=True, positive=True)
    currency = Currency(required=True)
    date = fields.Date(required=True, metadata={"description": "Business date, YYYY-MM-DD"})
    branch_id = fields.String(required=True, validate=ID, metadata={"description": BRANCH})
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    source_of_funds = fields.String(required=True, validate=TEXT)


class AppointmentOut(Schema):
    id = fields.String()
    account_id = fields.String()
    amount = Money()
    currency = fields.String()
    date = fields.String()
    branch_id = fields.String()
    purpose = fields.String()
    source_of_funds = fields.String()
    status = fields.String(metadata={"description": "booked | used | cancelled"})
    withdrawal_id = fields.String(allow_none=True)
    cancellation_reason = fields.String(allow_none=True)
    booked_at = fields.String()
    updated_at = fields.String()


class AppointmentCancelArgs(Schema):
    reason = fields.String(load_default="cancelled at the customer's request", validate=TEXT)


class WithdrawalIn(Schema):
    account_id = fields.String(required=True, validate=ID)
    amount = Money(required=True, positive=True)
    currency = Currency(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    payee = fields.Nested(PayeeSchema, load_default=None, allow_none=True)
    appointment_id = fields.String(load_default=None, allow_none=True, validate=ID)
    branch_id = fields.String(required=True, validate=ID, metadata={"description": BRANCH})

    openapi_refine = staticmethod(PAYEE_BY_CHANNEL)

    @validates_schema
    def payee_only_for_transfers(self, data, **kwargs):
        if "channel" not in data:
            return
        transfer = data["channel"] in TRANSFER_CHANNELS
        if transfer and not data.get("payee"):
            raise ValidationError("A transfer needs a payee {name, account}.", "payee")
        if not transfer and data.get("payee"):
            raise ValidationError("Only transfers have a payee.", "payee")


class VerdictOut(Schema):
    rule = fields.String()
    outcome = fields.String()
    applied = fields.Boolean()
    detail = fields.Dict()


class DecisionOut(Schema):
    rules_version = fields.String()
    inputs = fields.Dict()
    verdicts = fields.List(fields.Nested(VerdictOut))


class WithdrawalOut(Schema):
    id = fields.String()
    account_id = fields.String()
    customer_id = fields.String(allow_none=True)
    amount = Money()
    currency = fields.String()
    channel = fields.String()
    purpose = fields.String()
    payee = fields.Nested(PayeeSchema, allow_none=True)
    appointment_id = fields.String(allow_none=True)
    branch_id = fields.String()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    reasons = fields.List(fields.String())
    case_id = fields.String(allow_none=True)
    decision = fields.Nested(DecisionOut)
    requested_at = fields.String()
    updated_at = fields.String()


class WithdrawalListArgs(PageArgs):
    account_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class WithdrawalPage(Schema):
    items = fields.List(fields.Nested(WithdrawalOut))
    next_cursor = fields.String(allow_none=True)


class PayoutIn(Schema):
    """No fields: the teller confirms the money left the counter (or the transfer went)."""


class CancellationIn(Schema):
    reason = fields.String(required=True, validate=TEXT)


# Request examples for the OpenAPI document (Swagger UI's "Try it out" starts from them).
APPOINTMENT_EXAMPLE = {
    "account_id": "acc_01JD3Q9B2C4D6F8G0H2J4K6M8N",
    "amount": "80000.00",
    "currency": "CNY",
    "date": "2026-12-02",
    "branch_id": "HF-01",
    "purpose": "medical",
    "source_of_funds": "savings from a fixed-term deposit",
}
WITHDRAWAL_EXAMPLE = {
    "account_id": "acc_01JD3Q9B2C4D6F8G0H2J4K6M8N",
    "amount": "80000.00",
    "currency": "CNY",
    "channel": "counter_cash",
    "purpose": "medical",
    "payee": None,
    "appointment_id": "apt_01JD3QA1B3C5D7E9F1G3H5J7K9",
    "branch_id": "HF-01",
}
