"""Why a command was refused, in domain terms; the API turns each kind into a problem status."""


class DomainError(Exception):
    """A command the current state does not allow."""

    status = 409

    def __init__(self, detail: str, field: str | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.code = code  # why, for a request refused on the record (refusals.REFUSAL_CODES)


class Conflict(DomainError):
    """The aggregate is in the wrong state for this command (409)."""

    status = 409


class Rejected(DomainError):
    """The input breaks a business rule (422), optionally naming the field at fault."""

    status = 422


class NotPermitted(DomainError):
    """Four eyes: the same person may not both request and approve (403)."""

    status = 403


class Unknown(DomainError):
    """The command names something that does not exist (404)."""

    status = 404
