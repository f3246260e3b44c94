"""`warden up`, which `make run` runs: NATS and four ready services, stopped cleanly by Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from shared.cli import SERVICES
from shared.ports import free_ports


def test_up_starts_embedded_nats_and_four_ready_services_then_stops_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env["WARDEN_VAR_DIR"] = str(tmp_path / "var")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    for name, port in ports.items():
        env[f"WARDEN_{name.upper()}_PORT"] = str(port)
    up = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops everything" in line or not line:
                break
        printed = "".join(lines)
        assert "(embedded, var/nats)" in printed
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}" in printed
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as reply:
                body = json.load(reply)
            assert reply.status == 200 and body["status"] == "ready", (name, body)
        assert (tmp_path / "var" / "nats").is_dir()
        assert {p.name for p in (tmp_path / "var").glob("*.db")} == {f"{s}.db" for s in SERVICES}
    finally:
        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=60)
    assert up.returncode == 0
    assert "Warden stopped." in rest
