"""The notify API does what its OpenAPI document says, for every role it names."""

import pytest
from contract_support import check_case, fuzz_settings, load_schema, make_app

schema = load_schema("notify")


@pytest.fixture(scope="module")
def app(contract_database):
    app = make_app("notify", contract_database)
    yield app
    app.extensions["warden"].engine.dispose()


@schema.parametrize()
@fuzz_settings
def test_notify_api_keeps_its_contract(case, app):
    check_case(case, app)
