"""The accounts HTTP API: one blueprint per resource."""

from services.accounts.api.accounts import make_accounts_blueprint
from services.accounts.api.customers import make_customers_blueprint
from services.accounts.api.watchlist import make_watchlist_blueprint


def make_blueprints() -> list:
    return [make_customers_blueprint(), make_accounts_blueprint(), make_watchlist_blueprint()]
