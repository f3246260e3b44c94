"""Reading request text: bounded nesting and storable Unicode, or a problem, never a 500.

`json.loads` recurses once per level, so a body nested a thousand deep raises RecursionError.
It accepts lone UTF-16 surrogates (`"\\ud800"`), which no encoder downstream can write, and
NUL characters, which PostgreSQL cannot store or even compare. All are checked here, once,
before a schema sees the body; `refuse_nul_in_url` does the same for paths and queries.
"""

import json
import typing

import flask
import flask_smorest
import marshmallow
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from shared.web.problems import Problem
from shared.web.state import web_state

NOT_UNICODE = "Not valid Unicode text: it holds a lone UTF-16 surrogate."
HAS_NUL = "Text may not contain NUL (U+0000) characters."


def parse_json_body(data: bytes, max_depth: int) -> typing.Any:
    """The body as Python values; 400 if it is not JSON or nests too deep, 422 on bad text."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Problem(400, detail=f"The request body is not UTF-8: {exc.reason}.") from exc
    except RecursionError as exc:
        raise _too_deep(max_depth) from exc
    except ValueError as exc:
        raise Problem(400, detail="The request body is not valid JSON.") from exc
    bad = _walk(value, max_depth)
    if bad:
        raise Problem(422, detail="The request failed validation.", errors=bad)
    return value


def _too_deep(max_depth: int) -> Problem:
    return Problem(400, detail=f"The request body nests deeper than {max_depth} levels.")


def _walk(value: typing.Any, max_depth: int) -> dict[str, list[str]]:
    """Fields holding lone surrogates, by dotted path (keys too); iterative, so no recursion."""
    bad: dict[str, list[str]] = {}
    stack = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            for message in _text_problems(item):
                bad.setdefault(path or "_schema", []).append(message)
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise _too_deep(max_depth)
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, inner in pairs:
                name = f"{path}.{key}" if path else str(key)
                for message in _text_problems(key) if isinstance(key, str) else ():
                    bad.setdefault(name, []).append(message)
                stack.append((inner, name, depth + 1))
    return bad


def _text_problems(text: str) -> list[str]:
    problems = [HAS_NUL] if "\x00" in text else []
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.append(NOT_UNICODE)
    return problems


def refuse_nul_in_url() -> None:
    """Before every request: no id holds a NUL (404), and no query value may (422)."""
    if "\x00" in flask.request.path:
        raise Problem(404, detail="No such resource.")
    bad = {
        name: [HAS_NUL] for name, value in flask.request.args.items(multi=True) if "\x00" in value
    }
    if bad:
        raise Problem(422, detail="The request failed validation.", errors=bad)


class JsonBodyParser(FlaskParser):
    """webargs' parser with the body read by `parse_json_body`, and strict about queries.

    An unknown query parameter is a 422 rather than ignored: `?stauts=held` would otherwise
    list every status, and a caller would never learn of the typo.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": marshmallow.RAISE,
        "querystring": marshmallow.RAISE,
    }

    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        if not is_json_request(req):
            return core.missing
        return parse_json_body(req.get_data(cache=True), web_state().settings.max_json_depth)


class ApiBlueprint(flask_smorest.Blueprint):
    """Every API blueprint: flask-smorest's, reading JSON bodies through `JsonBodyParser`."""

    ARGUMENTS_PARSER = JsonBodyParser()
