"""Each service's OpenAPI document tells integrators the truth about errors, headers and fields.

The fuzzing (test_*_contract.py) checks answers against the documents; these pin what the
documents must say at all, so a generated client gets the error media type, the
Idempotency-Key header and the value rules right.
"""

import pytest
from contract_support import SERVICES, make_app, token_headers

from shared.web.problems import MEDIA_TYPE

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module", params=SERVICES)
def document(request, tmp_path_factory):
    app = make_app(request.param, f"sqlite:///{tmp_path_factory.mktemp('doc') / 's.db'}")
    yield app.test_client().get("/openapi.json").get_json()
    app.extensions["warden"].engine.dispose()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(document, response):
    if "$ref" in response:
        return document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def schema(document, name):
    found = document["components"]["schemas"][name]
    return found.get("oneOf", [found])


def test_every_error_is_documented_as_a_problem_with_an_example(document):
    for path, method, operation in operations(document):
        assert "default" not in operation["responses"], (method, path)
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = resolve(document, response)["content"]
            assert list(content) == [MEDIA_TYPE], (method, path, status)
            assert content[MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert content[MEDIA_TYPE]["example"]["status"] == int(status)


def test_each_operation_declares_the_errors_the_web_layer_can_give(document):
    for path, method, operation in operations(document):
        statuses = {int(s) for s in operation["responses"]}
        if operation.get("security"):
            assert {401, 403, 503} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {400, 413, 415, 422} <= statuses, (method, path)
        if "{" in path:
            assert 404 in statuses, (method, path)


def test_every_write_documents_the_idempotency_key_and_its_replay_header(document):
    writes = [
        (path, method, operation)
        for path, method, operation in operations(document)
        if method != "get" and operation.get("security")
    ]
    assert writes
    for path, method, operation in writes:
        refs = [p.get("$ref", "") for p in operation.get("parameters", [])]
        assert "#/components/parameters/Idempotency-Key" in refs, (method, path)
        assert {409, 422} <= {int(s) for s in operation["responses"]}
        success = [r for s, r in operation["responses"].items() if s.startswith("2")]
        assert all("Idempotent-Replayed" in r.get("headers", {}) for r in success)
    key = document["components"]["parameters"]["Idempotency-Key"]
    assert (key["in"], key["schema"]["maxLength"]) == ("header", 200)


def test_the_document_names_its_server(document):
    assert document["servers"] == [{"url": "/", "description": "This service"}]


def test_money_currency_and_enumerated_fields_carry_their_rules(document):
    for name, found in document["components"]["schemas"].items():
        for variant in found.get("oneOf", [found]):
            for field, spec in variant.get("properties", {}).items():
                if spec.get("format") == "money":
                    assert spec["pattern"].startswith("^") and spec["pattern"].endswith("$")
                if field == "currency" and name.endswith("In"):
                    assert spec["enum"] == ["CNY"], name


def test_service_specific_rules_are_in_the_document(document):
    names = document["components"]["schemas"]
    if "CustomerIn" in names:  # accounts
        variants = {
            v["properties"]["id_type"]["enum"][0]: v for v in schema(document, "CustomerIn")
        }
        assert variants["resident_id"]["properties"]["id_number"]["pattern"] == r"^\d{17}[\dXx]$"
        assert variants["passport"]["properties"]["id_number"]["pattern"] == "^[A-Za-z0-9]{5,20}$"
        branch = names["AccountIn"]["properties"]["branch_id"]
        assert "branch_id" in names["AccountIn"]["required"] and not branch.get("nullable")
        source = names["RestrictionIn"]["properties"]["source"]
        assert source == {
            "allOf": [{"$ref": "#/components/schemas/Source"}],
            "default": None,
            "nullable": True,
        }
        assert set(names["Source"]["required"]) == {"id", "kind"}
    if "WithdrawalIn" in names:  # withdrawals
        for variant in schema(document, "WithdrawalIn"):
            channel = variant["properties"]["channel"]["enum"][0]
            transfer = channel.endswith("_transfer")
            assert ("payee" in variant["required"]) is transfer, channel
            assert "branch_id" in variant["required"]
        amount = names["AppointmentIn"]["properties"]["amount"]["pattern"]
        assert amount.startswith("^(0\\.(0[1-9]")  # 0.00 is not an amount to withdraw
    if "ResolutionIn" in names:  # cases
        assert set(names["ResolutionIn"]["properties"]["outcome"]["enum"]) >= {"no_action"}
        assert names["ConfirmationIn"]["properties"]["outcome"]["enum"] == [
            "cleared",
            "fraud_victim",
            "fraud_suspect",
        ]
    if "PreferencesIn" in names:  # notify
        assert names["PreferencesIn"]["properties"]["channels"]["uniqueItems"] is True
        assert names["CampaignIn"]["properties"]["template"]["enum"]


def test_an_action_without_input_documents_its_body_as_optional(document):
    optional = {
        (path, method)
        for path, method, operation in operations(document)
        if "requestBody" in operation and not operation["requestBody"].get("required")
    }
    paths = document["paths"]
    if "/v1/cases/{case_id}/claim" in paths:
        assert optional == {("/v1/cases/{case_id}/claim", "post")}
    if "/v1/accounts" in paths:
        assert optional == {
            ("/v1/accounts/{account_id}/tier-overrides/{override_id}/approval", "post")
        }
    if "/v1/withdrawals" in paths:
        assert optional == {("/v1/withdrawals/{withdrawal_id}/payout", "post")}


EXAMPLED = {
    ("/v1/customers", "post"),
    ("/v1/accounts", "post"),
    ("/v1/watchlist", "post"),
    ("/v1/appointments", "post"),
    ("/v1/withdrawals", "post"),
    ("/v1/cases", "post"),
    ("/v1/verifications/{verification_id}/confirmation", "post"),
}


def test_the_main_writes_carry_a_request_example_the_service_accepts(tmp_path):
    """Sent as it stands, each example passes validation: created, or refused on state only."""
    checked = set()
    for service in SERVICES:
        app = make_app(service, f"sqlite:///{tmp_path / service}.db")
        client = app.test_client()
        document = client.get("/openapi.json").get_json()
        for path, method, operation in operations(document):
            if (path, method) not in EXAMPLED:
                continue
            example = operation["requestBody"]["content"]["application/json"]["example"]
            concrete = path.replace("{verification_id}", "ver_x")
            role = operation["x-roles"][0]
            response = client.open(
                concrete, method=method, json=example, headers=token_headers(role)
            )
            assert response.status_code in (201, 404, 409), (path, response.get_json())
            checked.add((path, method))
        app.extensions["warden"].engine.dispose()
    assert checked == EXAMPLED
