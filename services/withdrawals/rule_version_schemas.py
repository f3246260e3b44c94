"""Bodies of /v1/rule-versions: a rules configuration has the shape of rules.toml, as JSON.

The configuration's schema is declared setting by setting, so the OpenAPI document says what a
valid one is; `parse_rules` (services/withdrawals/rules.py) is the same check on the way in.
"""

from marshmallow import Schema, fields, validate

from services.withdrawals.rule_versions import VERSION_LABEL
from shared.money import AMOUNT_PATTERN
from shared.web.validators import WholeMatch

TEXT = validate.Length(min=1, max=500)
LABEL = WholeMatch(VERSION_LABEL.pattern, error="1 to 40 letters, digits, '.', '_' or '-'.")
RULES = (
    "The whole configuration, shaped like services/withdrawals/rules.toml (its `version` is the "
    "label, given beside it): amounts are two-decimal CNY strings, counts whole numbers."
)


def _names():
    return fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)


def _count():
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


def _amount():
    return fields.String(
        required=True, validate=WholeMatch(AMOUNT_PATTERN), metadata={"example": "50000.00"}
    )


class ChannelsRules(Schema):
    non_counter = _names()


class SegmentsRules(Schema):
    elderly_age = _count()
    student_occupations = _names()


class RejectionsRules(Schema):
    freezing_restrictions = _names()
    non_counter_restrictions = _names()
    active_statuses = _names()


class AppointmentsRules(Schema):
    registration_threshold = _amount()
    channels = _names()


class RiskyPurposeRules(Schema):
    purposes = _names()
    threshold = _amount()


class ElderlyLargeCashRules(Schema):
    segments = _names()
    channels = _names()
    threshold = _amount()


class NewAccountLargeRules(Schema):
    days = _count()
    threshold = _amount()


class HighRiskTierRules(Schema):
    tiers = _names()
    threshold = _amount()


class VelocityRules(Schema):
    window_hours = _count()
    count = _count()
    total = _amount()
    ignored_statuses = _names()


class HoldsRules(Schema):
    risky_purpose = fields.Nested(RiskyPurposeRules, required=True)
    elderly_large_cash = fields.Nested(ElderlyLargeCashRules, required=True)
    new_account_large = fields.Nested(NewAccountLargeRules, required=True)
    high_risk_tier = fields.Nested(HighRiskTierRules, required=True)
    velocity = fields.Nested(VelocityRules, required=True)


class DailyTotalRules(Schema):
    counted_statuses = _names()


class RulesConfig(Schema):
    channels = fields.Nested(ChannelsRules, required=True)
    segments = fields.Nested(SegmentsRules, required=True)
    rejections = fields.Nested(RejectionsRules, required=True)
    appointments = fields.Nested(AppointmentsRules, required=True)
    holds = fields.Nested(HoldsRules, required=True)
    daily_total = fields.Nested(DailyTotalRules, required=True)


class RulesVersionIn(Schema):
    version = fields.String(
        required=True, validate=LABEL, metadata={"description": "The label decisions will record"}
    )
    rules = fields.Nested(RulesConfig, required=True, metadata={"description": RULES})
    reason = fields.String(required=True, validate=TEXT)


class ApprovalIn(Schema):
    reason = fields.String(required=True, validate=TEXT)
    activates_at = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "When it takes effect (now or later); now if left out"},
    )


class RejectionIn(Schema):
    reason = fields.String(required=True, validate=TEXT)


class DiffArgs(Schema):
    against = fields.String(
        load_default=None,
        validate=LABEL,
        metadata={"description": "The other version; the one in force now if left out"},
    )


class RulesVersionOut(Schema):
    version = fields.String()
    status = fields.String(metadata={"description": "seed | proposed | approved | rejected"})
    in_force = fields.Boolean(metadata={"description": "Whether it screens requests now"})
    config = fields.Dict()
    reason = fields.String(allow_none=True)
    proposed_by = fields.String(allow_none=True)
    proposed_at = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    review_reason = fields.String(allow_none=True)
    activates_at = fields.String(allow_none=True)
    activated_at = fields.String(
        allow_none=True, metadata={"description": "When its taking effect was recorded"}
    )
    replaced = fields.String(allow_none=True, metadata={"description": "The version it replaced"})


class RulesVersionList(Schema):
    in_force = fields.String(metadata={"description": "The version screening uses now"})
    items = fields.List(fields.Nested(RulesVersionOut))


# "from" is a Python keyword, so the fields are declared as a dict.
Change = Schema.from_dict(
    {
        "path": fields.String(metadata={"description": "e.g. holds.elderly_large_cash.threshold"}),
        "from": fields.Raw(allow_none=True, metadata={"description": "None: not set"}),
        "to": fields.Raw(allow_none=True, metadata={"description": "None: not set"}),
    },
    name="Change",
)


class RulesDiff(Schema):
    version = fields.String()
    against = fields.String()
    changes = fields.List(fields.Nested(Change))
