"""One JSON log line per request, and the correlation id that follows a story across services."""

import logging
import sys
import time
from datetime import UTC, datetime

import orjson
import structlog
from flask import Flask, Response, g, request

from shared.ids import new_id

CORRELATION_HEADER = "X-Correlation-Id"
MAX_CORRELATION_ID = 100


def make_logger(name: str = "warden.web"):
    """A structlog logger that renders JSON through the stdlib logger `name`.

    Going through stdlib logging keeps gunicorn, pytest's caplog and operators' handlers in charge
    of where lines end up; we only add a stderr handler when nobody configured one.
    """
    stdlib_logger = logging.getLogger(name)
    root = logging.getLogger("warden")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    if root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return structlog.wrap_logger(
        stdlib_logger,
        wrapper_class=structlog.stdlib.BoundLogger,
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=lambda v, **_: orjson.dumps(v).decode()),
        ],
    )


def correlation_id() -> str:
    """The current request's correlation id: the caller's, or one we made up for it."""
    return g.warden_correlation_id


def request_id() -> str:
    return g.warden_request_id


def _incoming_correlation_id() -> str:
    """Trust a caller's id only if it is short and printable; it ends up in logs and events."""
    given = request.headers.get(CORRELATION_HEADER, "").strip()
    if given and len(given) <= MAX_CORRELATION_ID and given.isprintable():
        return given
    return new_id()


def init_request_logging(app: Flask, log) -> None:
    """Registered first, so the timer starts before authentication and the log line sees all.

    The request line skips structlog's processor chain: it is written on every request, so
    it is built here as the same JSON structlog would render (same keys, same order).
    """
    target = _stdlib_logger(log)

    @app.before_request
    def _start():
        g.warden_started = time.perf_counter()
        g.warden_request_id = new_id()
        g.warden_correlation_id = _incoming_correlation_id()

    @app.after_request
    def _finish(response: Response) -> Response:
        state = g.__dict__  # one lookup of the proxy instead of one per attribute
        started = state.get("warden_started") or time.perf_counter()
        correlation = state.get("warden_correlation_id")
        request_id = state.get("warden_request_id")
        headers = response.headers
        headers[CORRELATION_HEADER] = correlation or ""
        headers["X-Request-Id"] = request_id or ""
        if target is None:
            _log_with(log, response, started, state, correlation, request_id)
        elif target.isEnabledFor(logging.INFO):
            principal = state.get("warden_principal") or state.get("page_user")
            line = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "correlation_id": correlation,
                "request_id": request_id,
                "sub": principal.sub if principal else None,
                "event": "request",
                "level": "info",
                "timestamp": _iso_now(),
            }
            # Logger.info would walk the stack for a caller nobody prints; the line is the same.
            target.handle(
                target.makeRecord(
                    target.name, logging.INFO, __file__, 0, orjson.dumps(line).decode(), (), None
                )
            )
        return response


def _stdlib_logger(log) -> logging.Logger | None:
    """The stdlib logger behind a `make_logger` logger; None for any other (then structlog)."""
    wrapped = getattr(log, "_logger", None)
    return wrapped if isinstance(wrapped, logging.Logger) else None


def _iso_now() -> str:
    """structlog's TimeStamper(fmt="iso", utc=True)."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _log_with(log, response: Response, started: float, state: dict, correlation, request_id):
    principal = state.get("warden_principal") or state.get("page_user")
    log.info(
        "request",
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        correlation_id=correlation,
        request_id=request_id,
        sub=principal.sub if principal else None,
    )
