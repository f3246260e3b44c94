"""The notify service: contact book, templates, notifications, deliveries and campaigns."""

import random
from collections.abc import Callable, Mapping
from datetime import datetime

from shared.config import Settings, load_settings
from shared.service import ServiceSpec, Timer

NAME = "notify"
DISPATCH_SECONDS = 1.0
CAMPAIGN_SECONDS = 1.0


def service_spec(
    settings: Settings | None = None,
    clock: Callable[[], datetime] | None = None,
    channels: Mapping | None = None,
    jitter: Callable[[], float] = random.random,
) -> ServiceSpec:
    """Everything the web app and the worker need to know about this service.

    Without `settings`, the environment's. `clock`, `channels` and `jitter` are for tests.
    """
    from services.notify.api import make_blueprints
    from services.notify.application import Runtimes
    from services.notify.handlers import make_subscriptions
    from services.notify.metrics import read_model_metrics
    from services.notify.projections import make_projections
    from services.notify.rules import load_rules
    from services.notify.timers import CampaignFanOut, Dispatcher
    from shared.envelope import utc_now

    if settings is not None:
        load_rules(settings)  # a broken rules file stops the process here, at start

    projections = make_projections()
    runtimes = Runtimes(projections, settings)
    dispatcher = Dispatcher(runtimes, channels=channels, jitter=jitter)
    return ServiceSpec(
        name=NAME,
        projections=projections,
        blueprints=lambda: make_blueprints(runtimes),
        subscriptions=make_subscriptions(runtimes.default, clock or utc_now),
        timers=(
            Timer("dispatch", DISPATCH_SECONDS, dispatcher.run),
            Timer("campaigns", CAMPAIGN_SECONDS, CampaignFanOut(runtimes).run),
        ),
        metrics=read_model_metrics,
    )


def create_app(config: dict | None = None):
    """The Flask app, as gunicorn loads it: 'services.notify:create_app()'."""
    from shared.web.app import create_service_app

    settings = load_settings(NAME, config)
    return create_service_app(service_spec(settings), settings)
