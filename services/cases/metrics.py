"""Cases' gauges for /metrics, read from the read models when Prometheus scrapes.

Gauges, not counters: they survive restarts and agree across gunicorn workers and web
processes. Each is one GROUP BY over few distinct values (ix_cases_queue_due covers the first).
"""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

FINISHED = ("resolved", "closed")


def read_model_metrics(conn, metadata):
    cases = metadata.tables["cases"]
    verifications = metadata.tables["case_verifications"]
    by_queue = GaugeMetricFamily(
        "warden_cases", "Cases by status and queue", labels=["status", "queue"]
    )
    grouped = select(cases.c.status, cases.c.queue, func.count()).group_by(
        cases.c.status, cases.c.queue
    )
    for status, queue, count in conn.execute(grouped):
        by_queue.add_metric([status, queue], count)
    yield by_queue
    sla = GaugeMetricFamily(
        "warden_cases_sla",
        "Unfinished cases by SLA state (ok, warning, breached) and queue",
        labels=["sla_state", "queue"],
    )
    unfinished = (
        select(cases.c.sla_state, cases.c.queue, func.count())
        .where(cases.c.status.not_in(FINISHED))
        .group_by(cases.c.sla_state, cases.c.queue)
    )
    for state, queue, count in conn.execute(unfinished):
        sla.add_metric([state, queue], count)
    yield sla
    police = GaugeMetricFamily(
        "warden_police_verifications",
        "Police verifications by status (pending, confirmed, withdrawn) and outcome",
        labels=["status", "outcome"],
    )
    outcomes = select(verifications.c.status, verifications.c.outcome, func.count()).group_by(
        verifications.c.status, verifications.c.outcome
    )
    for status, outcome, count in conn.execute(outcomes):
        police.add_metric([status, outcome or ""], count)
    yield police
