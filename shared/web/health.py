"""Liveness and readiness of a web process: can it answer requests from its database right now?

A web process never talks to NATS (its log is the outbox the worker relays), so NATS and the
relay's lag are not part of readiness: a NATS outage must not take every API out of the load
balancer. Relay lag is a metric (`warden_relay_lag_events`) with an alert, and the worker's own
health endpoint (shared/worker_health.py) reports NATS.
"""

from flask import Blueprint, Response, jsonify
from sqlalchemy import Engine, MetaData, literal, select, text

from shared import checkpoints, eventstore
from shared.db import read_transaction
from shared.relay import CHECKPOINT as RELAY_CHECKPOINT
from shared.schema import metadata as store_metadata
from shared.web.state import web_state

HEALTHY = b'{"status":"ok"}\n'  # what jsonify(status="ok") says


def relay_lag(conn) -> tuple[int, int]:
    """(log head position, events the relay has not yet published); a missing checkpoint is 0."""
    head = eventstore.head_position(conn)
    return head, head - checkpoints.get(conn, RELAY_CHECKPOINT)


def check_database(engine: Engine) -> dict:
    with read_transaction(engine) as conn:
        conn.execute(text("SELECT 1"))
    return {"ok": True}


def check_schema(engine: Engine, projections: MetaData) -> dict:
    """Every table of the event store and the service's read models answers a zero-row select.

    One cheap statement per table, so a database restored without its schema, or a role that
    lost its grants, makes the process unready instead of failing every request.
    """
    tables = [*store_metadata.sorted_tables, *projections.sorted_tables]
    with read_transaction(engine) as conn:
        for table in tables:
            try:
                conn.execute(select(literal(1)).select_from(table).limit(0))
            except Exception as exc:  # the first failure ends the transaction on PostgreSQL
                return {"ok": False, "table": table.name, "error": exc.__class__.__name__}
    return {"ok": True, "tables": len(tables)}


def _guarded(check, *args) -> dict:
    """A failing check makes the service not ready; it never makes the probe itself fail."""
    try:
        return check(*args)
    except Exception as exc:
        web_state().log.warning("readiness_check_failed", check=check.__name__, error=repr(exc))
        return {"ok": False, "error": exc.__class__.__name__}


def make_health_blueprint() -> Blueprint:
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/healthz")
    def healthz():
        # Liveness is probed often and its answer never changes: jsonify's bytes, made once.
        return Response(HEALTHY, mimetype="application/json")

    @blueprint.get("/readyz")
    def readyz():
        state = web_state()
        checks = {"database": _guarded(check_database, state.engine)}
        if checks["database"]["ok"]:
            checks["schema"] = _guarded(check_schema, state.engine, state.spec.projections.metadata)
        else:
            checks["schema"] = {"ok": False, "error": "database unavailable"}
        ready = all(check["ok"] for check in checks.values())
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return jsonify(body), 200 if ready else 503

    return blueprint
