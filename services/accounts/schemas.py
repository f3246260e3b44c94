"""Request and response bodies of the accounts API (DOMAIN §5)."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.accounts.restrictions import TYPES as RESTRICTION_TYPES
from shared.money import Money
from shared.web.openapi import Variant, one_of_by
from shared.web.validators import WholeMatch

ID_TYPES = ("resident_id", "passport")
LANGUAGES = ("zh-CN", "en")
ACCOUNT_CLASSES = ("I", "II", "III")
PURPOSES = ("salary", "savings", "business", "investment", "other")
CHANNELS = ("counter", "online")
DOCUMENT_TYPES = (
    "employment_proof",
    "business_license",
    "student_card",
    "proof_of_address",
    "other",
)
TIERS = ("LOW", "MEDIUM", "HIGH", "RESTRICTED")
SOURCE_KINDS = ("case", "police", "staff")

RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")
PASSPORT = re.compile(r"^[A-Za-z0-9]{5,20}$")
# The id_number's rule depends on id_type: the document says so with one variant per type.
ID_NUMBER_BY_TYPE = one_of_by(
    "id_type",
    {
        "resident_id": Variant(narrow={"id_number": {"pattern": RESIDENT_ID.pattern}}),
        "passport": Variant(narrow={"id_number": {"pattern": PASSPORT.pattern}}),
    },
)
PHONE = re.compile(r"^\+?\d[\d -]{5,19}$")


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _phone(**kwargs) -> fields.String:
    message = "A phone number: digits, spaces or dashes, optionally starting with +."
    return fields.String(validate=WholeMatch(PHONE, error=message), **kwargs)


def check_id_number(id_type: str, id_number: str) -> None:
    pattern = RESIDENT_ID if id_type == "resident_id" else PASSPORT
    if not pattern.fullmatch(id_number):
        expected = "17 digits and a digit or X" if id_type == "resident_id" else "5-20 letters"
        raise ValidationError(f"Not a valid {id_type} number ({expected}).", "id_number")


class CustomerIn(Schema):
    name = _text(200, required=True)
    id_type = fields.String(required=True, validate=validate.OneOf(ID_TYPES))
    id_number = fields.String(required=True)
    birth_date = fields.Date(required=True)
    phone = _phone(required=True)
    email = fields.Email(load_default=None, allow_none=True)
    occupation = _text(100, required=True)
    employer = fields.String(load_default="", validate=validate.Length(max=200))
    preferred_language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))

    openapi_refine = staticmethod(ID_NUMBER_BY_TYPE)

    @validates_schema(skip_on_field_errors=False)
    def _id_number_fits_its_type(self, data, **kwargs):
        if data.get("id_type") in ID_TYPES and "id_number" in data:
            check_id_number(data["id_type"], data["id_number"])


class ContactIn(Schema):
    """The customer's complete new contact details; a missing email means none."""

    phone = _phone(required=True)
    email = fields.Email(load_default=None, allow_none=True)
    preferred_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class CustomerOut(Schema):
    id = fields.String()
    name = fields.String()
    id_type = fields.String()
    id_number = fields.String(metadata={"description": "whole only for the system role"})
    birth_date = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    occupation = fields.String()
    employer = fields.String()
    preferred_language = fields.String()
    segment = fields.String(metadata={"description": "elderly, student or standard, as of today"})
    registered_at = fields.String()


class DocumentIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))
    employer = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    signed_on = fields.Date(load_default=None, allow_none=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class AccountIn(Schema):
    customer_id = _text(40, required=True)
    account_class = fields.String(required=True, validate=validate.OneOf(ACCOUNT_CLASSES))
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    purpose_detail = fields.String(load_default="", validate=validate.Length(max=500))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    documents = fields.List(
        fields.Nested(DocumentIn), load_default=list, validate=validate.Length(max=20)
    )
    branch_id = _text(
        40,
        required=True,
        metadata={"description": "where it is opened; a teller names their own (else 403)"},
    )


class LimitsOut(Schema):
    per_transaction = Money()
    daily = Money()


class SourceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))
    id = _text(100, required=True)


class RestrictionOut(Schema):
    id = fields.String()
    type = fields.String()
    reason = fields.String()
    source = fields.Dict()
    expires_at = fields.String(allow_none=True)
    requested_by = fields.String()


class AccountOut(Schema):
    id = fields.String()
    customer_id = fields.String()
    account_class = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    purpose_detail = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    documents = fields.List(fields.Dict(), allow_none=True)
    status = fields.String()
    flags = fields.List(fields.String())
    risk_tier = fields.String(allow_none=True)
    limits = fields.Nested(LimitsOut, allow_none=True)
    verification_method = fields.String(allow_none=True)
    restrictions = fields.List(fields.Nested(RestrictionOut))
    opened_at = fields.String(allow_none=True)
    branch_id = fields.String(allow_none=True)


class OverrideIn(Schema):
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    reason = _text(500, required=True)


class ApprovalIn(Schema):
    """Nothing to say: the approver is the caller."""


class OverrideOut(Schema):
    id = fields.String()
    account_id = fields.String()
    tier = fields.String()
    reason = fields.String()
    requested_by = fields.String()
    status = fields.String(metadata={"description": "pending or applied"})


class RestrictionIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(RESTRICTION_TYPES))
    reason = _text(500, required=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    source = fields.Nested(SourceSchema, load_default=None, allow_none=True)


class ReasonIn(Schema):
    reason = _text(500, load_default=None)


class ClosureIn(Schema):
    reason = _text(500, required=True)


class WatchlistIn(Schema):
    id_type = fields.String(required=True, validate=validate.OneOf(ID_TYPES))
    id_number = fields.String(required=True)
    reference = _text(200, required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))

    openapi_refine = staticmethod(ID_NUMBER_BY_TYPE)

    @validates_schema(skip_on_field_errors=False)
    def _id_number_fits_its_type(self, data, **kwargs):
        if data.get("id_type") in ID_TYPES and "id_number" in data:
            check_id_number(data["id_type"], data["id_number"])


class WatchlistOut(Schema):
    id = fields.String()
    id_type = fields.String()
    id_number = fields.String(metadata={"description": "masked"})
    reference = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"description": "active or removed"})
    added_at = fields.String()
    added_by = fields.String()
    removed_at = fields.String(allow_none=True)
    removal_reason = fields.String(allow_none=True)


# Request examples for the OpenAPI document (Swagger UI's "Try it out" starts from them).
CUSTOMER_EXAMPLE = {
    "name": "王秀英",
    "id_type": "resident_id",
    "id_number": "340104195803141234",
    "birth_date": "1958-03-14",
    "phone": "+86 138 0000 1234",
    "email": None,
    "occupation": "retired",
    "employer": "",
    "preferred_language": "zh-CN",
}
ACCOUNT_EXAMPLE = {
    "customer_id": "cus_01JD3Q8V6X2M4N5P7R9S1T3V5W",
    "account_class": "I",
    "purpose": "savings",
    "purpose_detail": "",
    "channel": "counter",
    "documents": [],
    "branch_id": "HF-01",
}
WATCHLIST_EXAMPLE = {
    "id_type": "passport",
    "id_number": "E12345678",
    "reference": "PSB-HF-2026-0142",
    "reason": "money mule reported by the anti-fraud centre",
}
