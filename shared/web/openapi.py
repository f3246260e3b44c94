"""The finishing pass over every service's OpenAPI document, so it says what the service does.

flask-smorest documents what the views declare. What the shared web layer adds on every
request is only known here: errors are problem+json, which statuses an operation can
answer, and the `Idempotency-Key` header. Declaring them in one pass keeps the 51
operations truthful without 51 sets of decorators.
"""

import copy
import re
from dataclasses import dataclass, field
from http import HTTPStatus

from shared.web.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.web.idempotency import KEY_PATTERN, MAX_KEY_LENGTH, REPLAYED_HEADER
from shared.web.idempotency import METHODS as IDEMPOTENT_METHODS
from shared.web.problems import MEDIA_TYPE, PROBLEM_BASE, TYPE_BY_STATUS

BODY_METHODS = frozenset({"post", "put", "patch", "delete"})
METHODS = ("get", "put", "post", "delete", "patch")

# Why each status can come back, whatever the operation: the description integrators read.
ERROR_STATUSES = {
    400: "The body is not JSON, not UTF-8, or nested too deeply.",
    401: "No bearer token, or one that is invalid or expired.",
    403: "The caller's role, branch or police unit may not do this.",
    404: "Nothing with this id is known here (yet: an event may still be on its way).",
    409: "The state does not allow this now, or a request with this Idempotency-Key is "
    "still in progress.",
    413: "The body is larger than the service accepts.",
    415: "The body is not application/json.",
    422: "The request failed validation; `errors` names each field. Nothing was changed.",
    503: "Nothing was done: the answer could not be recorded with its Idempotency-Key, or the "
    "identity provider's keys could not be fetched. Retry after `Retry-After` seconds.",
}
EXAMPLE_DETAIL = {
    400: "The request body is not valid JSON.",
    401: "A bearer token is required.",
    403: "The role 'auditor' may not do this.",
    404: "No such resource.",
    409: "Someone else changed this at the same moment; try again.",
    413: "The request body is larger than 1048576 bytes.",
    415: "Send the request body as application/json.",
    422: "The request failed validation.",
    503: "The answer could not be recorded; nothing was done. Retry with the same key.",
}
_PATH_PARAMETER = re.compile(r"{[^}]+}")


def component_name(status: int) -> str:
    return f"Problem{status}"


def finish_document(document: dict, refinements: dict | None = None) -> dict:
    """A copy of `document` with every operation's error responses and headers declared.

    `refinements` maps a component schema's name to a function returning what its
    marshmallow schema cannot say by itself (see `one_of_by`).
    """
    document = copy.deepcopy(document)
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = _nullable_refs(schema)
    for name, refine in (refinements or {}).items():
        if name in schemas:
            schemas[name] = refine(schemas[name])
    for name in _input_schemas(document):
        schemas[name] = _no_nul(schemas[name])
    document.setdefault("servers", [{"url": "/", "description": "This service"}])
    components = document.setdefault("components", {})
    responses = components.setdefault("responses", {})
    for status, why in ERROR_STATUSES.items():
        responses[component_name(status)] = _problem_response(status, why)
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        responses.pop(name, None)
    components.setdefault("headers", {})[REPLAYED_HEADER] = {
        "description": "true when this is the stored answer to an earlier request with the key",
        "schema": {"type": "string", "enum": ["true"]},
    }
    components.setdefault("parameters", {})[IDEMPOTENCY_HEADER] = _idempotency_parameter()
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _finish_operation(path, method, item[method])
    return document


def refinements_of(refs: dict) -> dict:
    """{component name: refine} for the marshmallow schemas that define `openapi_refine`.

    `refs` is apispec's converter map, {(schema class, modifiers…): component name}.
    """
    found = {}
    for key, name in refs.items():
        refine = getattr(key[0], "openapi_refine", None)
        if refine is not None:
            found[name] = refine
    return found


@dataclass(frozen=True)
class Variant:
    """How a body differs when its deciding field has one value (see `one_of_by`)."""

    narrow: dict = field(default_factory=dict)  # {property: extra JSON Schema keywords}
    replace: dict = field(default_factory=dict)  # {property: its whole schema}
    require: tuple = ()  # properties required in this variant


NULL_ONLY = {"nullable": True, "enum": [None]}


def one_of_by(deciding: str, variants: dict[str, Variant]):
    """A refinement for a body whose fields' rules depend on the `deciding` field's value.

    `one_of_by("id_type", {"passport": Variant(narrow={"id_number": {"pattern": …}}), …})`
    documents one variant per value: the schema as it is, `deciding` fixed to the value,
    its properties narrowed. OpenAPI 3.0 has no if/then, and this is its way to say so.
    """

    def refine(schema: dict) -> dict:
        options = []
        for value, variant in variants.items():
            option = copy.deepcopy(schema)
            properties = option["properties"]
            properties[deciding] = {**properties[deciding], "enum": [value]}
            for name, extra in variant.narrow.items():
                properties[name] = {**properties[name], **extra}
            properties.update(copy.deepcopy(variant.replace))
            required = set(option.get("required", [])) | set(variant.require)
            option["required"] = sorted(required)
            options.append(option)
        return {"oneOf": options}

    return refine


# No text the services accept may hold NUL (PostgreSQL can store none): see json_bodies.
NO_NUL = "^[^\\u0000]*$"


def _input_schemas(document: dict) -> set[str]:
    """Names of the component schemas a request can carry, nested ones included."""
    refs = _refs_in(
        [
            operation.get("requestBody")
            for item in document.get("paths", {}).values()
            for method, operation in item.items()
            if method in METHODS
        ]
    )
    schemas = document.get("components", {}).get("schemas", {})
    found: set[str] = set()
    while refs:
        name = refs.pop()
        if name in found or name not in schemas:
            continue
        found.add(name)
        refs |= _refs_in(schemas[name])
    return found


def _refs_in(value) -> set[str]:
    if isinstance(value, dict):
        own = {value["$ref"].rsplit("/", 1)[-1]} if isinstance(value.get("$ref"), str) else set()
        return own.union(*(_refs_in(inner) for inner in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs_in(inner) for inner in value))
    return set()


def _rewrite(value, change):
    """`value` with `change(node)` applied to every JSON object in it, innermost first."""
    if isinstance(value, list):
        return [_rewrite(item, change) for item in value]
    if not isinstance(value, dict):
        return value
    return change({key: _rewrite(inner, change) for key, inner in value.items()})


def _no_nul(value):
    """Free text properties say they refuse NUL; patterned, enumerated and formatted ones do."""
    return _rewrite(value, _refuse_nul)


def _refuse_nul(node: dict) -> dict:
    if node.get("type") == "string" and not {"pattern", "enum", "format"} & node.keys():
        node["pattern"] = NO_NUL
    return node


def _nullable_refs(value):
    """apispec writes a nullable nested schema as anyOf [ref, {any object}]: say it exactly."""
    return _rewrite(value, _exact_nullable_ref)


def _exact_nullable_ref(node: dict) -> dict:
    options = node.get("anyOf")
    if (
        isinstance(options, list)
        and len(options) == 2
        and "$ref" in options[0]
        and options[1] == {"nullable": True, "type": "object"}
    ):
        del node["anyOf"]
        node.update({"allOf": [options[0]], "nullable": True})
    return node


def _finish_operation(path: str, method: str, operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and "schema" in parameter:
            parameter["schema"] = _no_nul(parameter["schema"])
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)
    for status in error_statuses(path, method, operation):
        declared = responses.get(str(status), {}).get("description")
        if declared and status in ERROR_STATUSES and "$ref" not in responses[str(status)]:
            # The view said why; keep its words, with the problem body every error has.
            shared = _problem_response(status, declared)
            responses[str(status)] = shared
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{component_name(status)}"}
    if method.upper() in IDEMPOTENT_METHODS and operation.get("security"):
        parameters = operation.setdefault("parameters", [])
        parameters.append({"$ref": f"#/components/parameters/{IDEMPOTENCY_HEADER}"})
        for status, response in responses.items():
            if status.startswith("2") and "$ref" not in response:
                headers = response.setdefault("headers", {})
                headers[REPLAYED_HEADER] = {"$ref": f"#/components/headers/{REPLAYED_HEADER}"}


def error_statuses(path: str, method: str, operation: dict) -> list[int]:
    """The errors the web layer itself can answer for this operation, plus those it declared."""
    statuses = {int(s) for s in operation.get("responses", {}) if s.isdigit() and int(s) >= 400}
    secured = bool(operation.get("security"))
    has_body = "requestBody" in operation or method in BODY_METHODS
    if secured:
        statuses |= {401, 403, 503}
    if has_body:
        statuses |= {400, 413, 415, 422}
    if operation.get("parameters") or _PATH_PARAMETER.search(path):
        statuses.add(422)
    if _PATH_PARAMETER.search(path):
        statuses.add(404)
    if secured and method.upper() in IDEMPOTENT_METHODS:
        statuses |= {409, 422}
    return sorted(statuses)


def _problem_response(status: int, why: str) -> dict:
    example = {
        "type": PROBLEM_BASE + TYPE_BY_STATUS[status]
        if status in TYPE_BY_STATUS
        else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": EXAMPLE_DETAIL[status],
    }
    if status == 422:
        example["errors"] = {"amount": ["an amount is a string with exactly two decimals"]}
    return {
        "description": why,
        "content": {
            MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
        },
    }


def _idempotency_parameter() -> dict:
    return {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Makes a retry safe: the first answer to a key is stored for 24 hours, in the same "
            "transaction as its effects, and replayed to every later request with the same "
            "key, path, query and body (JSON compared as data: key order and spacing do not "
            "matter); the same key with another request is a 422."
        ),
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "pattern": KEY_PATTERN,
        },
        "example": "2f1c6c1e-teller-HF-01-0001",
    }
