"""Money as DOMAIN §2 has it: "50000.00" strings on the wire, integer fen inside, never floats."""

import re

from marshmallow import ValidationError, fields

CURRENCY = "CNY"
AMOUNT_PATTERN = r"^(0|[1-9]\d{0,12})\.(\d{2})$"
POSITIVE_AMOUNT_PATTERN = r"^(0\.(0[1-9]|[1-9]\d)|[1-9]\d{0,12}\.\d{2})$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def to_fen(amount: str) -> int:
    """Parse a two-decimal amount string; ValueError for anything else (floats included)."""
    if not isinstance(amount, str):
        raise ValueError('an amount is a string with exactly two decimals, e.g. "50000.00"')
    match = _AMOUNT.fullmatch(amount)
    if not match:
        raise ValueError('an amount is a string with exactly two decimals, e.g. "50000.00"')
    return int(match.group(1)) * 100 + int(match.group(2))


def from_fen(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


class Money(fields.Field):
    """A marshmallow field: "50000.00" in JSON, integer fen in Python; `positive` refuses 0.00."""

    def __init__(self, *, positive: bool = False, **kwargs):
        self.positive = positive
        pattern = POSITIVE_AMOUNT_PATTERN if positive else AMOUNT_PATTERN
        metadata = {"pattern": pattern, "example": "5000.00", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else from_fen(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = to_fen(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if self.positive and fen <= 0:
            raise ValidationError("An amount is more than 0.00.")
        return fen


class Currency(fields.String):
    """Only CNY exists; anything else fails validation (422)."""

    def __init__(self, **kwargs):
        metadata = {"enum": [CURRENCY], "example": CURRENCY, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text != CURRENCY:
            raise ValidationError(f"the only currency is {CURRENCY}")
        return text
