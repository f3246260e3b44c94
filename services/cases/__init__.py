"""The cases service: investigation cases, police-bank verification, SLA timers and four eyes."""

from shared.config import load_settings
from shared.service import ServiceSpec

NAME = "cases"


def service_spec() -> ServiceSpec:
    """Everything the web app and the worker need to know about this service."""
    return ServiceSpec(name=NAME)


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.cases:create_app()'."""
    from shared.web.app import create_service_app

    return create_service_app(service_spec(), load_settings(NAME, config))
