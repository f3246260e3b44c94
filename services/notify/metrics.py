"""Notify's gauges for /metrics, read from the read model when Prometheus scrapes.

A gauge, not a counter: it survives restarts and agrees across gunicorn workers and web
processes; one GROUP BY over a handful of channels and statuses.
"""

from shared.web.metrics import row_count_gauge


def read_model_metrics(conn, metadata):
    notifications = metadata.tables["notify_notifications"]
    yield row_count_gauge(
        conn,
        "warden_notifications",
        "Notifications by channel and status (requested, sent, delivered, retrying, failed, "
        "suppressed)",
        {"channel": notifications.c.channel, "status": notifications.c.status},
    )
