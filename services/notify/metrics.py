"""Notify's gauges for /metrics, read from the read model when Prometheus scrapes.

A gauge, not a counter: it survives restarts and agrees across gunicorn workers and web
processes; one GROUP BY over a handful of channels and statuses.
"""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select


def read_model_metrics(conn, metadata):
    notifications = metadata.tables["notify_notifications"]
    family = GaugeMetricFamily(
        "warden_notifications",
        "Notifications by channel and status (requested, sent, delivered, retrying, failed, "
        "suppressed)",
        labels=["channel", "status"],
    )
    grouped = select(notifications.c.channel, notifications.c.status, func.count()).group_by(
        notifications.c.channel, notifications.c.status
    )
    for channel, status, count in conn.execute(grouped):
        family.add_metric([channel or "", status], count)
    yield family
