"""Prometheus metrics in a per-app registry; store gauges are read from the database per scrape."""

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, case, func, select

from shared.db import read_transaction
from shared.schema import dead_letters
from shared.web.health import relay_lag
from shared.web.state import web_state


class StoreCollector:
    """Reads the log head, relay lag and open dead letters when Prometheus scrapes, not before."""

    def __init__(self, engine: Engine, log):
        self.engine = engine
        self.log = log

    def collect(self):
        try:
            with read_transaction(self.engine) as conn:
                head, lag = relay_lag(conn)
                # Consumers whose letters are all resolved report 0, so alerts can clear.
                unresolved = case((dead_letters.c.resolved_at.is_(None), 1), else_=0)
                letters = conn.execute(
                    select(dead_letters.c.consumer, func.sum(unresolved)).group_by(
                        dead_letters.c.consumer
                    )
                ).all()
        except Exception as exc:  # a scrape during a database outage still shows HTTP metrics
            self.log.warning("metrics_store_unavailable", error=repr(exc))
            return
        yield GaugeMetricFamily("warden_log_head_position", "Position of the last event", head)
        yield GaugeMetricFamily("warden_relay_lag_events", "Events not yet relayed to NATS", lag)
        family = GaugeMetricFamily(
            "warden_dead_letters", "Unresolved dead letters by consumer", labels=["consumer"]
        )
        for consumer, count in letters:
            family.add_metric([consumer], count)
        yield family


def init_metrics(app: Flask, registry: CollectorRegistry, engine: Engine, log) -> None:
    registry.register(StoreCollector(engine, log))
    requests = Counter(
        "warden_http_requests",
        "HTTP requests by endpoint and status",
        ["method", "endpoint", "status"],
        registry=registry,
    )
    durations = Histogram(
        "warden_http_request_duration_seconds",
        "HTTP request latency by endpoint",
        ["method", "endpoint"],
        registry=registry,
    )

    @app.before_request
    def _start_timer():
        g.warden_metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        # The route template, not the path, keeps label cardinality bounded.
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("warden_metrics_started", time.perf_counter())
        requests.labels(request.method, endpoint, str(response.status_code)).inc()
        durations.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response


def make_metrics_blueprint() -> Blueprint:
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    def metrics():
        return Response(generate_latest(web_state().registry), content_type=CONTENT_TYPE_LATEST)

    return blueprint
