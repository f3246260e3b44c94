"""Liveness and readiness: is the process up, and can it do its job right now?"""

import socket
from urllib.parse import urlsplit

from flask import Blueprint, jsonify
from sqlalchemy import Engine, text

from shared import checkpoints, eventstore
from shared.db import read_transaction
from shared.relay import CHECKPOINT as RELAY_CHECKPOINT
from shared.web.state import web_state

NATS_TIMEOUT_SECONDS = 1.0


def relay_lag(conn) -> tuple[int, int]:
    """(log head position, events the relay has not yet published); a missing checkpoint is 0."""
    head = eventstore.head_position(conn)
    return head, head - checkpoints.get(conn, RELAY_CHECKPOINT)


def check_database(engine: Engine) -> dict:
    with read_transaction(engine) as conn:
        conn.execute(text("SELECT 1"))
    return {"ok": True}


def check_nats(nats_url: str) -> dict:
    """Any server of the (comma-separated) URL list that greets with INFO counts as reachable."""
    errors = []
    for url in nats_url.split(","):
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "127.0.0.1", parts.port or 4222
        try:
            with socket.create_connection((host, port), timeout=NATS_TIMEOUT_SECONDS) as sock:
                sock.settimeout(NATS_TIMEOUT_SECONDS)
                if _read_line(sock).startswith(b"INFO"):
                    return {"ok": True, "server": f"{host}:{port}"}
                errors.append(f"{host}:{port} did not greet with INFO")
        except OSError as exc:
            errors.append(f"{host}:{port}: {exc.__class__.__name__}")
    return {"ok": False, "error": "; ".join(errors)}


def _read_line(sock: socket.socket, limit: int = 65536) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def check_relay(engine: Engine, limit: int) -> dict:
    with read_transaction(engine) as conn:
        head, lag = relay_lag(conn)
    return {"ok": lag <= limit, "lag": lag, "limit": limit, "head": head}


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
        return jsonify(status="ok")

    @blueprint.get("/readyz")
    def readyz():
        state = web_state()
        checks = {
            "database": _guarded(check_database, state.engine),
            "nats": _guarded(check_nats, state.settings.nats_url),
        }
        if checks["database"]["ok"]:
            checks["relay"] = _guarded(
                check_relay, state.engine, state.settings.relay_lag_ready_limit
            )
        else:
            checks["relay"] = {"ok": False, "error": "database unavailable"}
        ready = all(check["ok"] for check in checks.values())
        body = {"status": "ready" if ready else "not_ready", "checks": checks}
        return jsonify(body), 200 if ready else 503

    return blueprint
