"""The cases service: investigation cases, police-bank verification, SLA timers and four eyes."""

from shared.config import Settings, load_settings
from shared.service import ServiceSpec

NAME = "cases"


def service_spec(settings: Settings | None = None) -> ServiceSpec:
    """Everything the web app and the worker need to know about this service.

    The handlers open cases under the SLA policy at settings.rules_file.
    """
    settings = settings or load_settings(NAME)
    from services.cases.api import make_cases_blueprint
    from services.cases.console import console_area
    from services.cases.handlers import subscriptions
    from services.cases.metrics import read_model_metrics
    from services.cases.police_api import make_police_blueprint
    from services.cases.projections import projections
    from services.cases.rules import load_rules
    from services.cases.timers import SLA_TIMER

    load_rules(settings.rules_file)  # a broken rules file stops the process here, at start

    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=lambda: [make_cases_blueprint(), make_police_blueprint()],
        pages=console_area,
        subscriptions=subscriptions(settings.rules_file),
        timers=(SLA_TIMER,),
        metrics=read_model_metrics,
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.cases:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings(NAME, config)
    return create_service_app(service_spec(settings), settings)
