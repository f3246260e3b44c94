"""The image's HEALTHCHECK: GET a process's /healthz on loopback; exit 0 on 200, else 1.

Which process: WARDEN_HEALTHCHECK_URL if set; else a worker's health port
(WARDEN_<SERVICE>_WORKER_HEALTH_PORT); else the web's port from WARDEN_BIND. A container
that serves neither (a worker without a health port) counts as healthy while it runs.
"""

import os
import sys
import urllib.request


def target(env) -> str | None:
    if env.get("WARDEN_HEALTHCHECK_URL"):
        return env["WARDEN_HEALTHCHECK_URL"]
    for name, value in env.items():
        if name.endswith("_WORKER_HEALTH_PORT") and value not in ("", "0"):
            return f"http://127.0.0.1:{value}/healthz"
    if env.get("WARDEN_BIND"):
        return f"http://127.0.0.1:{env['WARDEN_BIND'].rsplit(':', 1)[1]}/healthz"
    return None


def main() -> int:
    url = target(os.environ)
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=3) as reply:
            return 0 if reply.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
