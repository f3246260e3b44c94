"""RFC 9457 problem responses: every error the web layer gives is `application/problem+json`."""

from http import HTTPStatus

from flask import Flask, Response
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from shared import codec
from shared.web.state import web_state

PROBLEM_BASE = "https://warden.example/problems/"
MEDIA_TYPE = "application/problem+json"

# Problem type slugs for the statuses DOMAIN §2 gives a meaning; others are "about:blank".
TYPE_BY_STATUS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    500: "internal-error",
}


class ProblemSchema(Schema):
    """Documents the error body in OpenAPI; responses are built by `problem_response`."""

    type = fields.String(metadata={"description": "URI naming the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation messages by field"},
    )


class Problem(Exception):
    """Raise from a view to answer with a problem: `Problem(409, "conflict", "already paid")`."""

    def __init__(
        self,
        status: int,
        kind: str | None = None,
        detail: str = "",
        *,
        title: str | None = None,
        errors: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.kind = kind or TYPE_BY_STATUS.get(status)
        self.detail = detail
        self.title = title
        self.errors = errors
        self.headers = headers or {}


def problem_response(problem: Problem) -> Response:
    body = {
        "type": PROBLEM_BASE + problem.kind if problem.kind else "about:blank",
        "title": problem.title or _phrase(problem.status),
        "status": problem.status,
        "detail": problem.detail or _phrase(problem.status),
    }
    if problem.errors:
        body["errors"] = problem.errors
    response = Response(codec.dumpb(body), status=problem.status, mimetype=MEDIA_TYPE)
    response.headers.update(problem.headers)
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug and webargs errors; webargs puts validation messages in `error.data`."""
    if error.code is None or error.code < 400:
        return error.get_response()  # redirects and 304s are not problems
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    errors = flatten_messages(messages) if isinstance(messages, dict) else None
    detail = data.get("message") or error.description or ""
    if error.code == 400 and errors:
        detail = "The request body is not valid JSON."
        errors = None
    elif error.code == 422:
        detail = data.get("message") or "The request failed validation."
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem_response(Problem(error.code, detail=detail, errors=errors, headers=headers))


def flatten_messages(messages: dict) -> dict[str, list[str]]:
    """{"json": {"payee": {"name": ["…"]}}} → {"payee.name": ["…"]}; locations are dropped."""
    flat: dict[str, list[str]] = {}
    locations = {"json", "query", "querystring", "path", "view_args", "headers", "form", "files"}
    for location, inner in messages.items():
        if location in locations and isinstance(inner, dict):
            _flatten_into(flat, inner, "")
        else:
            _flatten_into(flat, {location: inner}, "")
    return flat


def _flatten_into(flat: dict, value, prefix: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten_into(flat, inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and all(isinstance(m, str) for m in value):
        flat.setdefault(prefix or "_schema", []).extend(value)
    else:
        flat.setdefault(prefix or "_schema", []).append(str(value))


def from_unexpected(error: Exception) -> Response:
    """Log the whole story for operators; tell the caller nothing about the internals."""
    web_state().log.exception("unhandled_exception", error_type=type(error).__name__)
    return problem_response(
        Problem(500, detail="The server failed to handle the request; it has been logged.")
    )


def from_lost_race(error: Exception) -> Response:
    """A command lost its optimistic-concurrency race on every retry: DOMAIN §2 says 409."""
    return problem_response(
        Problem(409, "conflict", "Someone else changed this at the same moment; try again.")
    )


def init_problems(app: Flask) -> None:
    from shared.eventstore import ConcurrencyError

    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(ConcurrencyError, from_lost_race)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, from_unexpected)
