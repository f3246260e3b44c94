"""gunicorn settings for every Warden web process; each may be overridden by environment."""

import os

bind = os.environ.get("WARDEN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WARDEN_WEB_WORKERS", "2"))
threads = int(os.environ.get("WARDEN_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WARDEN_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
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
