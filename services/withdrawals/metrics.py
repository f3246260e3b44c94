"""Withdrawals' gauges for /metrics, read from the read model when Prometheus scrapes.

Gauges, not counters: they survive restarts, agree across gunicorn workers (computed once per
scrape) and across several web processes, and `warden rebuild` cannot skew them. Each is one
GROUP BY; reasons are grouped by their stored list, so a scrape returns one row per distinct
combination of rules, not per withdrawal.
"""

import json
from collections import Counter

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import String, cast, func, select


def read_model_metrics(conn, metadata):
    withdrawals = metadata.tables["wd_withdrawals"]
    reasons = cast(withdrawals.c.reasons, String)
    rows = conn.execute(
        select(withdrawals.c.status, reasons, func.count()).group_by(withdrawals.c.status, reasons)
    ).all()
    by_status, by_reason = Counter(), Counter()
    for status, listed, count in rows:
        by_status[status] += count
        for reason in _reasons(listed):
            by_reason[(status, reason)] += count
    statuses = GaugeMetricFamily(
        "warden_withdrawals",
        "Withdrawals by status: approved, held, rejected at decision; released, blocked, "
        "cancelled, paid_out after. status=held is the holds open",
        labels=["status"],
    )
    for status, count in sorted(by_status.items()):
        statuses.add_metric([status], count)
    yield statuses
    explained = GaugeMetricFamily(
        "warden_withdrawal_reasons",
        "Withdrawals by status and each screening reason they carry",
        labels=["status", "reason"],
    )
    for (status, reason), count in sorted(by_reason.items()):
        explained.add_metric([status, reason], count)
    yield explained


def _reasons(listed: str | None) -> list[str]:
    """The rule names a decision applied (a JSON list, stored as text by both databases)."""
    return [str(rule) for rule in json.loads(listed)] if listed else []
