"""Errors on pages are pages: a readable message in the user's language, never a stack trace."""

from flask import Flask, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from shared.web import problems


class PageError(Exception):
    """A refusal a page shows as a whole page (403, 404, an expired form)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _messages() -> dict[int, str]:
    return {
        400: gettext("The request could not be understood."),
        403: gettext("You may not see this page."),
        404: gettext("There is no such page."),
        405: gettext("This page cannot be used that way."),
        413: gettext("What you sent is too large."),
    }


def error_page(status: int, message: str):
    return render_template("pages/error.html", status=status, message=message), status


def init_page_errors(app: Flask, url_prefix: str) -> None:
    """Under the area's prefix errors render as pages; elsewhere they stay RFC 9457 problems."""

    def on_page() -> bool:
        return request.path == url_prefix or request.path.startswith(url_prefix + "/")

    @app.errorhandler(PageError)
    def _page_error(error: PageError):
        return error_page(error.status, error.message)

    @app.errorhandler(problems.Problem)
    def _problem(problem: problems.Problem):
        if not on_page():
            return problems.problem_response(problem)
        return error_page(problem.status, _messages().get(problem.status, problem.detail))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if not on_page() or error.code is None or error.code < 400:
            return problems.from_http_exception(error)
        return error_page(error.code, _messages().get(error.code, error.description or ""))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        response = problems.from_unexpected(error)  # logs the whole story for operators
        if not on_page():
            return response
        return error_page(500, gettext("Something went wrong on our side; it has been logged."))
