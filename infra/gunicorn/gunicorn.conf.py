"""gunicorn settings for every Warden web process; each may be overridden by environment."""

import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("WARDEN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WARDEN_WEB_WORKERS", "2"))
threads = int(os.environ.get("WARDEN_WEB_THREADS", "4"))
# gthread, honouring the app's `Connection: close` and answering its own errors (431, 414,
# 400 bad bytes) as problem+json: see shared/web/gunicorn_worker.py and docs/operations.md.
worker_class = "shared.web.gunicorn_worker.WardenThreadWorker"
timeout = int(os.environ.get("WARDEN_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Request line, header count and header size: gunicorn's defaults, stated so the docs and the
# 414/431 problems quote the numbers in force.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
loglevel = os.environ.get("WARDEN_LOG_LEVEL", "info")
# Build the app once per worker after fork: engines and sockets must not cross a fork.
preload_app = False
control_socket_disable = True  # several gunicorns on one host would fight over ~/.gunicorn
# Behind the bank's TLS proxy: trust its X-Forwarded-Proto, so page cookies are Secure and
# OpenID callback URLs are https. Only the proxy's addresses, never everyone.
forwarded_allow_ips = os.environ.get("WARDEN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Freeze what start-up built (~100k objects): full GC passes then skip them (~50 ms)."""
    import gc

    gc.freeze()


# Prometheus multiprocess mode: each worker writes its counters to files in one directory and
# /metrics adds them all up (shared/web/metrics.py). The variable must be set here, in the
# master, before workers fork and import prometheus_client. `warden up` gives every gunicorn
# its own directory; otherwise this master makes a temporary one and removes it on exit.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="warden-metrics-")


def on_starting(server):
    """Begin from zero: a previous master's files would otherwise be added to this one's."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A dead worker's live gauges go; its counters stay in the sum, as totals should."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
