"""The accounts API does what its OpenAPI document says, for every role it names."""

import pytest
from contract_support import check_case, fuzz_settings, load_schema, make_app

schema = load_schema("accounts")


@pytest.fixture(scope="module")
def app(contract_database):
    app = make_app("accounts", contract_database)
    yield app
    app.extensions["warden"].engine.dispose()


@schema.parametrize()
@fuzz_settings
def test_accounts_api_keeps_its_contract(case, app):
    check_case(case, app)
