"""The accounts service: customers, due diligence, risk tiers, limits, restrictions, watchlist."""

from shared.config import Settings, load_settings
from shared.service import ServiceSpec

NAME = "accounts"


def service_spec(settings: Settings | None = None) -> ServiceSpec:
    """Everything the web app and the worker need to know about this service."""
    settings = settings or load_settings(NAME)
    from services.accounts.api import make_blueprints
    from services.accounts.handlers import make_handlers
    from services.accounts.policy import load_policy
    from services.accounts.projections import make_projections
    from services.accounts.timers import restriction_expiry, tier_decay

    load_policy(settings.rules_file)  # a broken policy file stops the process here, at start
    projections = make_projections()
    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=make_blueprints,
        subscriptions=make_handlers(projections, settings.rules_file),
        timers=(tier_decay(projections), restriction_expiry(projections)),
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.accounts:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings(NAME, config)
    return create_service_app(service_spec(settings), settings)
