"""The withdrawals service: appointments, requests, screening with explained decisions, holds."""

from services.withdrawals.api import make_blueprints
from services.withdrawals.handlers import make_subscriptions
from services.withdrawals.projections import make_projections
from shared.config import Settings, load_settings
from shared.service import ServiceSpec

NAME = "withdrawals"


def service_spec(settings: Settings | None = None) -> ServiceSpec:
    """Everything the web app and the worker need to know about this service.

    `settings` is part of every service's signature; withdrawals' handlers need none of it.
    """
    projections = make_projections()
    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=make_blueprints,
        subscriptions=make_subscriptions(projections),
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.withdrawals:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings(NAME, config)
    return create_service_app(service_spec(settings), settings)
