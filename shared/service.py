"""What a service tells the shared machinery about itself; web and worker both read it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.projections import Projections


@dataclass(frozen=True)
class Timer:
    """A periodic worker job (SLA checks, say); `run(engine, settings, now)` is idempotent."""

    name: str
    every_seconds: float
    run: Callable[..., Any]


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its name, read models, HTTP blueprints, subscriptions and timers.

    `subscriptions` maps a source service (e.g. "withdrawals") to its handlers by event type.
    `blueprints` is a callable returning fresh flask-smorest Blueprints, so nothing is built
    at import time; `pages` returns the app's server-rendered area (a
    shared.web.pages.PagesArea) or None. `metrics(conn, metadata)` yields the service's
    read-model gauges (metric families) when /metrics is scraped: services/<name>/metrics.py.
    """

    name: str
    projections: Projections = field(default_factory=Projections)
    blueprints: Callable[[], list] = lambda: []
    pages: Callable[[], Any] = lambda: None
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    timers: tuple[Timer, ...] = ()
    metrics: Callable[[Any], Any] | None = None
