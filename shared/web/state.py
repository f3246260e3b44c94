"""What one service app keeps in `app.extensions["warden"]`, so nothing lives in module globals."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from shared.config import Settings
from shared.envelope import utc_now
from shared.service import ServiceSpec


@dataclass
class WebState:
    """The service's spec, settings and engine, its metrics registry, and the clock it trusts.

    `clock` is replaceable so tests can age idempotency records without sleeping.
    """

    spec: ServiceSpec
    settings: Settings
    engine: Engine
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    clock: Callable[[], datetime] = utc_now
    log: Any = None
    metrics: dict = field(default_factory=dict)


def web_state() -> WebState:
    return current_app.extensions["warden"]
