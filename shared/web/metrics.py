"""Prometheus metrics: HTTP counters per app, store and domain gauges read per scrape.

Under gunicorn (PROMETHEUS_MULTIPROC_DIR set by infra/gunicorn/gunicorn.conf.py before the
workers fork) the counters live in files and a scrape adds up every worker's; the gauges
read from the database are collected once per scrape, not once per worker. Without it (the
Flask test client, a single process) the app's own registry is served.
"""

import os
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
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, MetaData, case, func, select

from shared.db import read_transaction
from shared.schema import dead_letters
from shared.web.health import relay_lag
from shared.web.state import web_state


class StoreCollector:
    """Reads the log head, relay lag and open dead letters when Prometheus scrapes, not before.

    `domain(conn, metadata)` (ServiceSpec.metrics: services/<name>/metrics.py) yields the
    service's read-model gauges from the same read transaction.
    """

    def __init__(self, engine: Engine, log, domain=None, metadata: MetaData | None = None):
        self.engine = engine
        self.log = log
        self.domain = domain
        self.metadata = metadata

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
                domain = list(self.domain(conn, self.metadata)) if self.domain else []
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
        yield from domain


def row_count_gauge(conn, name: str, documentation: str, columns: dict, where=None):
    """A gauge of the rows of one table by `columns` ({label: column}), one GROUP BY.

    What services/<name>/metrics.py build their read-model gauges from; a NULL label is "".
    """
    family = GaugeMetricFamily(name, documentation, labels=list(columns))
    query = select(*columns.values(), func.count()).group_by(*columns.values())
    if where is not None:
        query = query.where(where)
    for *values, count in conn.execute(query):
        family.add_metric(["" if value is None else str(value) for value in values], count)
    return family


def init_metrics(app: Flask, registry: CollectorRegistry, engine: Engine, log) -> None:
    """Count requests in `registry`; a scrape is answered from `state.metrics["scraped"]`."""
    state = app.extensions["warden"]
    scraped = registry
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        scraped = CollectorRegistry()
        MultiProcessCollector(scraped, path=multiprocess_dir)
    scraped.register(
        StoreCollector(engine, log, state.spec.metrics, state.spec.projections.metadata)
    )
    state.metrics["scraped"] = scraped
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

    count = request_counter(requests, durations)

    @app.before_request
    def _start_timer():
        g.warden_metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        # The route template, not the path, keeps label cardinality bounded.
        rule = request.url_rule
        started = g.__dict__.get("warden_metrics_started") or time.perf_counter()
        count(request.method, rule.rule if rule else "unmatched", response.status_code, started)
        return response


def request_counter(requests: Counter, durations: Histogram):
    """count(method, endpoint, status, started): one request into both metrics.

    `labels()` takes a lock and builds the child's key on every call (and in multiprocess
    mode finds its file), so each label set's children are looked up once and kept.
    """
    counters: dict[tuple, object] = {}
    timers: dict[tuple, object] = {}

    def count(method: str, endpoint: str, status: int, started: float) -> None:
        key = (method, endpoint, status)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = requests.labels(method, endpoint, str(status))
        timer_key = (method, endpoint)
        timer = timers.get(timer_key)
        if timer is None:
            timer = timers[timer_key] = durations.labels(method, endpoint)
        counter.inc()
        timer.observe(time.perf_counter() - started)

    return count


def make_metrics_blueprint() -> Blueprint:
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    def metrics():
        state = web_state()
        scraped = state.metrics.get("scraped", state.registry)
        return Response(generate_latest(scraped), content_type=CONTENT_TYPE_LATEST)

    return blueprint
