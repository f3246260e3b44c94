"""Request bodies: one size limit, and a `Connection` header that tells the client the truth.

gunicorn answers `Connection: keep-alive` before it knows whether the request body was read.
After the response it discards what the app left unread, but at most 64 KiB within 5 s
(gunicorn.http.parser._DRAIN_MAX_BYTES); a larger rest makes it close the socket it had just
promised to keep. A pooled client's next request on that socket then fails ("Server
disconnected without sending a response"). That happened whenever a response came before the
body was read: a 413 for a body over the limit, a 401 or 403 from the checks that run first.

So, before the response goes out (`BodyFraming`):

- a body within the limit that the app left unread is read to its end, and the connection
  stays open;
- a body over the limit, or one that could not be read to its end, is left alone, and the
  response says `Connection: close`. gunicorn drops an app's hop-by-hop headers, so
  `shared.web.gunicorn_worker` makes it honour that one: it closes after the response and
  says so itself, and the client opens a new connection for its next request.

A chunked body has no length to check up front, and werkzeug reads it only up to
MAX_CONTENT_LENGTH, then stops without a word: the JSON parser got a truncated body and
answered 400 "not valid JSON". It is read here instead, up to the limit and one byte more:
within the limit the app gets all of it; over, a 413 problem. A chunk that breaks the framing
raises out of here to gunicorn, whose worker answers 400 before the app has answered anything
(gunicorn alone found it only while discarding the rest after the app's 401, and then wrote a
second, text/html, response behind the first).

Only for servers that frame the body themselves (`wsgi.input_terminated`, as gunicorn does):
elsewhere, such as the Flask test client, reading to the end of `wsgi.input` is not safe and
no socket is shared, so only the 413 check applies.
"""

import io
from collections.abc import Callable, Iterable

from flask import Flask, request

from shared.web.problems import Problem

TOO_LARGE = "warden.body_too_large"  # environ key: a chunked body went past the limit
READ_STEP = 64 * 1024

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def install_body_limits(app: Flask, limit: int) -> None:
    """The WSGI wrapper, and the 413 check as a before_request hook.

    Install it before the auth hook: a body over the limit is refused before anything looks at
    the request, as gunicorn refuses an oversized header.
    """
    app.wsgi_app = BodyFraming(app.wsgi_app, limit)

    @app.before_request
    def refuse_too_large() -> None:
        """413 for a body over the limit, announced (Content-Length) or found (chunked)."""
        if request.environ.get(TOO_LARGE) or (request.content_length or 0) > limit:
            raise Problem(413, detail=f"The request body is larger than {limit} bytes.")


class BodyFraming:
    """WSGI middleware: chunked bodies read within the limit, unread bodies finished."""

    def __init__(self, app: WSGIApp, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("wsgi.input_terminated"):
            return self.app(environ, start_response)
        limit = self.limit
        stream = environ["wsgi.input"]
        length = _content_length(environ)
        if length is None and _chunked(environ):
            data = _read_up_to(stream, limit + 1)
            if len(data) > limit:
                environ[TOO_LARGE] = True
                data = b""
            environ["wsgi.input"] = io.BytesIO(data)
        finished: list[bool] = []  # decided once, even if start_response is called again

        def start(status: str, headers: list, exc_info=None):
            if not finished:
                finished.append(_finish(environ, stream, length, limit))
            if not finished[0]:
                headers = [(k, v) for k, v in headers if k.lower() != "connection"]
                headers.append(("Connection", "close"))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _finish(environ: dict, stream, length: int | None, limit: int) -> bool:
    """Whether the body has been read to its end, reading what is left if that is allowed."""
    if environ.get(TOO_LARGE):
        return False
    if length is None:
        return True  # no body, or a chunked one read whole above
    if length > limit:
        return False  # not worth reading: the client is told to reconnect instead
    try:
        return _discard_up_to(stream, limit + 1) <= limit
    except Exception:  # the client went away mid-body: where a next request starts is lost
        return False


def _read_up_to(stream, most: int) -> bytes:
    parts = []
    size = 0
    while size < most:
        part = stream.read(min(READ_STEP, most - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _discard_up_to(stream, most: int) -> int:
    size = 0
    while size < most:
        part = stream.read(min(READ_STEP, most - size))
        if not part:
            break
        size += len(part)
    return size


def _content_length(environ: dict) -> int | None:
    raw = environ.get("CONTENT_LENGTH", "")
    return int(raw) if raw.isdigit() else None


def _chunked(environ: dict) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
