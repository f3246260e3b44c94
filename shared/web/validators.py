"""Validators the API schemas share."""

from marshmallow import ValidationError, validate


class WholeMatch(validate.Regexp):
    """A pattern the whole value must match: `re.match` lets "x$" pass "x\\n", fullmatch does not.

    It is a `Regexp`, so the OpenAPI document carries the pattern as it is.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value
