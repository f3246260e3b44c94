"""The accounts service: customers, due diligence, risk tiers, limits, restrictions, watchlist."""

from shared.config import load_settings
from shared.service import ServiceSpec

NAME = "accounts"


def service_spec() -> ServiceSpec:
    """Everything the web app and the worker need to know about this service."""
    from services.accounts.api import make_blueprints
    from services.accounts.handlers import make_handlers
    from services.accounts.projections import make_projections
    from services.accounts.timers import restriction_expiry, tier_decay

    projections = make_projections()
    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=make_blueprints,
        subscriptions=make_handlers(projections),
        timers=(tier_decay(projections), restriction_expiry(projections)),
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.accounts:create_app()'."""
    from shared.web.app import create_service_app

    return create_service_app(service_spec(), load_settings(NAME, config))
