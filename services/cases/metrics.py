"""Cases' gauges for /metrics, read from the read models when Prometheus scrapes.

Gauges, not counters: they survive restarts and agree across gunicorn workers and web
processes. Each is one GROUP BY over few distinct values (ix_cases_queue_due covers the first).
"""

from shared.web.metrics import row_count_gauge

FINISHED = ("resolved", "closed")


def read_model_metrics(conn, metadata):
    cases = metadata.tables["cases"]
    verifications = metadata.tables["case_verifications"]
    yield row_count_gauge(
        conn,
        "warden_cases",
        "Cases by status and queue",
        {"status": cases.c.status, "queue": cases.c.queue},
    )
    yield row_count_gauge(
        conn,
        "warden_cases_sla",
        "Unfinished cases by SLA state (ok, warning, breached) and queue",
        {"sla_state": cases.c.sla_state, "queue": cases.c.queue},
        where=cases.c.status.not_in(FINISHED),
    )
    yield row_count_gauge(
        conn,
        "warden_police_verifications",
        "Police verifications by status (pending, confirmed, withdrawn) and outcome",
        {"status": verifications.c.status, "outcome": verifications.c.outcome},
    )
