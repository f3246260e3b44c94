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
