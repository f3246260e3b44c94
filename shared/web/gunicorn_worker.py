"""The gunicorn worker of every Warden web process: gthread, with two things it lacks.

`infra/gunicorn/gunicorn.conf.py` names it (`worker_class`), so `warden up`, the tests and
compose all run it.

1. It honours an app's `Connection: close`. gunicorn treats `Connection` as hop-by-hop and
   drops the app's, then announces keep-alive by its own rules. `shared.web.bodies` says
   `Connection: close` when a request body was left unread; the worker then makes gunicorn
   close after the response and say `Connection: close` itself.
2. It answers the errors gunicorn finds before any app runs (a header or request line too
   long, bytes that are not HTTP, a broken chunk) as problem+json, with the same body shape
   as `shared.web.problems.problem_response`, instead of gunicorn's text/html page
   (`gunicorn.util.write_error`), with the status gunicorn's own handle_error gives
   (STATUS_BY_ERROR mirrors it). What it cannot answer (a TLS handshake that failed: no HTTP
   yet) is left to gunicorn; a client that went away gets nothing from either.
"""

from collections.abc import Callable, Iterable
from http import HTTPStatus

from gunicorn import util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response
from gunicorn.workers.gthread import ThreadWorker

from shared.web.problems import Problem, problem_response

# Most specific first: the response-header errors subclass the request-header ones.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (errors.InvalidResponseHeader, 500),
    (errors.InvalidResponseHeaderName, 500),
    (errors.ConfigurationProblem, 500),
    (errors.LimitRequestLine, 414),
    (errors.LimitRequestHeaders, 431),
    (errors.UnsupportedTransferCoding, 501),
    (errors.ExpectationFailed, 417),
    (errors.ForbiddenProxyRequest, 403),
    (errors.ParseException, 400),  # every other request gunicorn cannot parse
]
INTERNAL = "The server failed to handle the request; it has been logged."
MAX_ECHO = 200  # characters of the offending input a detail may quote


class WardenThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, honouring `Connection: close` and answering problem+json."""

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = honour_connection_close(self.wsgi)

    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's handle_error, writing problem+json where it writes text/html.

        Its access-log line is left out: Warden runs without gunicorn's access log (the app
        logs each request it sees), and these requests never reach the app.
        """
        status = status_for(exc)
        if status is None:  # TLS errors: not ours to answer (the TLS proxy terminates TLS)
            super().handle_error(req, client, addr, exc)
            return
        if status == 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, problem_bytes(status, detail_for(exc, status, self.cfg)))
        except Exception:
            self.log.debug("Failed to send error message.")


def honour_connection_close(app: Callable) -> Callable:
    """Wrap the WSGI app: an app's `Connection: close` makes gunicorn close after responding."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list, exc_info=None):
            for name, value in headers:  # a plain loop: this runs on every response
                if name.lower() == "connection" and "close" in value.lower():
                    # gthread passes Response.start_response; the response it is bound to
                    # decides the Connection header and whether the connection is reused.
                    response = getattr(start_response, "__self__", None)
                    if isinstance(response, Response):
                        response.force_close()
                    break
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


def status_for(exc: Exception) -> int | None:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    if isinstance(exc, OSError):  # ssl.SSLError is one
        return None
    return 500  # an app error outside Flask's handlers


def detail_for(exc: Exception, status: int, cfg) -> str:
    if status == 500:
        return INTERNAL
    if status == 414:
        return (
            "The request line (method, path and query) is longer than the "
            f"{cfg.limit_request_line} bytes this server accepts."
        )
    if status == 431:
        return {
            "limit request headers fields size": "A request header field is longer than the "
            f"{cfg.limit_request_field_size} bytes this server accepts.",
            "limit request headers fields": "The request has more header fields than the "
            f"{cfg.limit_request_fields} this server accepts.",
        }.get(str(exc), "The request's header section is larger than this server accepts.")
    said = str(exc)
    if len(said) > MAX_ECHO:
        said = said[:MAX_ECHO] + "…"
    return f"The request is not valid HTTP/1.1: {said}." if status == 400 else f"{said}."


def problem_bytes(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 response: the status line, headers and problem_response's body."""
    problem = problem_response(Problem(status, detail=detail))
    body = problem.get_data()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Date: {util.http_date()}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {problem.mimetype}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body
