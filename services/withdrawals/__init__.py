"""The withdrawals service: appointments, requests, screening with explained decisions, holds."""

from services.withdrawals.api import make_blueprints
from services.withdrawals.handlers import make_subscriptions
from services.withdrawals.metrics import read_model_metrics
from services.withdrawals.projections import make_projections
from services.withdrawals.rules import load_rules
from services.withdrawals.timers import rules_activation
from shared.config import Settings, load_settings
from shared.service import ServiceSpec

NAME = "withdrawals"


def service_spec(settings: Settings | None = None) -> ServiceSpec:
    """Everything the web app and the worker need to know about this service.

    With `settings`, its rules file is read and checked: a broken one stops the process here.
    """
    if settings is not None:
        load_rules(settings.rules_file)
    projections = make_projections()
    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=make_blueprints,
        subscriptions=make_subscriptions(projections),
        metrics=read_model_metrics,
        timers=(rules_activation(projections),),
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.withdrawals:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings(NAME, config)
    return create_service_app(service_spec(settings), settings)
