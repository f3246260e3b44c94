"""Hostile bodies and URLs get a 400 or 422 problem on every operation, and change nothing.

Each was a 500 once (issue 12): JSON nested a thousand deep (RecursionError in the parser),
a lone UTF-16 surrogate (the hash chain's encoder cannot write it), a NUL character
(PostgreSQL can neither store nor compare it). And patterns matched "10.00\\n".
"""

import json

import pytest
from contract_support import SERVICES, make_app, token_headers
from sqlalchemy import func, select

from shared.db import read_transaction
from shared.schema import events

PROBLEM = "application/problem+json"


@pytest.fixture(params=SERVICES)
def service_app(request, database_url):
    app = make_app(request.param, database_url)
    yield app
    app.extensions["warden"].engine.dispose()


def body_operations(app) -> list[tuple[str, str, dict, dict]]:
    """(method, path with ids filled in, operation, its request schema) for each body op."""
    document = app.test_client().get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            schema = schemas[ref.rsplit("/", 1)[-1]]
            schema = schema["oneOf"][0] if "oneOf" in schema else schema
            concrete = path.replace("{", "").replace("}", "")
            found.append((method.upper(), concrete, operation, schema))
    return found


def event_count(app) -> int:
    with read_transaction(app.extensions["warden"].engine) as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


def send(client, method, path, operation, raw: bytes):
    headers = {**token_headers(operation["x-roles"][0]), "Content-Type": "application/json"}
    return client.open(path, method=method, data=raw, headers=headers)


def text_fields(schema: dict) -> list[tuple[str, object, str]]:
    """(property, how to send a text in it, the field the errors name) for each text property."""
    fields = []
    for name, spec in schema.get("properties", {}).items():
        if spec.get("type") == "string":
            fields.append((name, lambda text: text, name))
        elif spec.get("type") == "array" and spec.get("items", {}).get("type") == "string":
            fields.append((name, lambda text: [text], f"{name}.0"))
    return fields


def test_every_body_operation_exists_to_be_probed(service_app):
    assert body_operations(service_app), "each service takes bodies on some operation"


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
@pytest.mark.parametrize("shape", ["array", "object"])
def test_deeply_nested_json_is_a_400_problem_on_every_body_operation(service_app, depth, shape):
    client = service_app.test_client()
    opening, closing = ("[", "]") if shape == "array" else ('{"a":', "}")
    raw = (opening * depth + "1" + closing * depth).encode()
    before = event_count(service_app)
    for method, path, operation, _ in body_operations(service_app):
        response = send(client, method, path, operation, raw)
        assert (response.status_code, response.mimetype) == (400, PROBLEM), (method, path)
        assert "nests deeper than 32 levels" in response.get_json()["detail"]
    assert event_count(service_app) == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("x\ud800", "lone UTF-16 surrogate"),
        ("x\udfff y", "lone UTF-16 surrogate"),
        ("a\x00b", "NUL"),
    ],
)
def test_unstorable_text_is_a_422_naming_the_field_on_every_text_field(service_app, bad, message):
    client = service_app.test_client()
    before = event_count(service_app)
    probed = 0
    for method, path, operation, schema in body_operations(service_app):
        for name, wrap, field in text_fields(schema):
            raw = json.dumps({name: wrap(bad)}).encode()  # ensure_ascii: "\ud800" stays escaped
            response = send(client, method, path, operation, raw)
            assert (response.status_code, response.mimetype) == (422, PROBLEM), (path, name)
            assert message in " ".join(response.get_json()["errors"][field]), (path, name)
            probed += 1
    assert probed > 0
    assert event_count(service_app) == before


def test_a_nul_in_a_path_is_a_404_and_in_a_query_a_422(service_app):
    client = service_app.test_client()
    document = client.get("/openapi.json").get_json()
    get_paths = [p for p, item in document["paths"].items() if "get" in item]
    with_id = next(p for p in get_paths if "{" in p)
    roles = document["paths"][with_id]["get"]["x-roles"]
    path = with_id.split("{")[0] + "a%00b"
    response = client.get(path, headers=token_headers(roles[0]))
    assert (response.status_code, response.mimetype) == (404, PROBLEM)
    listing = next((p for p in get_paths if "{" not in p), None)
    if listing is not None:
        roles = document["paths"][listing]["get"]["x-roles"]
        response = client.get(f"{listing}?status=a%00b", headers=token_headers(roles[0]))
        assert (response.status_code, response.mimetype) == (422, PROBLEM)
        assert "NUL" in response.get_json()["errors"]["status"][0]


CUSTOMER = {
    "name": "王芳",
    "id_type": "resident_id",
    "id_number": "34010419900101123X",
    "birth_date": "1990-01-01",
    "phone": "+8613800000000",
    "occupation": "teacher",
}
WITHDRAWAL = {
    "account_id": "acc_1",
    "amount": "10.00",
    "currency": "CNY",
    "channel": "counter_cash",
    "purpose": "living_expenses",
    "branch_id": "HF-01",
}


@pytest.mark.parametrize(
    ("service", "path", "body", "field"),
    [
        ("withdrawals", "/v1/withdrawals", {**WITHDRAWAL, "amount": "10.00\n"}, "amount"),
        ("withdrawals", "/v1/withdrawals", {**WITHDRAWAL, "currency": "CNY\n"}, "currency"),
        ("accounts", "/v1/customers", {**CUSTOMER, "phone": "+8613800000000\n"}, "phone"),
        (
            "accounts",
            "/v1/customers",
            {**CUSTOMER, "id_number": "34010419900101123X\n"},
            "id_number",
        ),
        (
            "accounts",
            "/v1/watchlist",
            {"id_type": "passport", "id_number": "E1234567\n", "reference": "PSB-1"},
            "id_number",
        ),
    ],
)
def test_a_trailing_newline_fails_the_pattern_it_would_have_slipped_past(
    sqlite_url, service, path, body, field
):
    app = make_app(service, sqlite_url)
    role = "system" if service != "accounts" or path != "/v1/watchlist" else "supervisor"
    response = app.test_client().post(path, json=body, headers=token_headers(role))
    assert (response.status_code, response.mimetype) == (422, PROBLEM)
    assert field in response.get_json()["errors"]
    assert event_count(app) == 0
    clean = {
        key: value.rstrip("\n") if isinstance(value, str) else value for key, value in body.items()
    }
    accepted = app.test_client().post(path, json=clean, headers=token_headers(role))
    assert accepted.status_code in (201, 404), accepted.get_json()  # 404: account not heard of


@pytest.mark.parametrize("service", ["withdrawals", "cases", "notify"])  # accounts takes none
def test_an_unknown_query_parameter_is_a_422_on_every_operation_that_takes_a_query(
    sqlite_url, service
):
    """A typo such as ?stauts=held must not silently list everything."""
    client = make_app(service, sqlite_url).test_client()
    document = client.get("/openapi.json").get_json()
    probed = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if not any(p.get("in") == "query" for p in operation.get("parameters", [])):
                continue
            concrete = path.replace("{", "").replace("}", "")
            headers = token_headers(operation["x-roles"][0])
            response = client.open(
                f"{concrete}?stauts=held", method=method.upper(), headers=headers
            )
            assert (response.status_code, response.mimetype) == (422, PROBLEM), (method, path)
            assert response.get_json()["errors"] == {"stauts": ["Unknown field."]}
            probed += 1
    assert probed > 0
