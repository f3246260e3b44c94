"""HTTP as a pooled client meets it: one real gunicorn (our config) serving withdrawals.

Issue 12 defects 3, 4 and 9. A response sent before the request body was read must either
keep the connection usable (the body is read to its end) or say `Connection: close`; a chunked
body over the limit is a 413; what gunicorn itself refuses is problem+json too.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest

from shared.ports import free_port, wait_for_port
from shared.runner import GUNICORN_CONF, ROOT
from shared.tokens import mint_token

SECRET = "http-connections-secret-at-least-32-bytes"
LIMIT = 1_048_576  # WARDEN_MAX_BODY_BYTES's default, which the fixture leaves alone
PROBLEM = "application/problem+json"
BASE = "https://warden.example/problems/"
ROUNDS = 8  # a dropped connection showed up in about one try of two; eight leave no doubt


class Gunicorn:
    def __init__(self, var):
        self.var = var
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self, attempts: int = 3) -> "Gunicorn":
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
        env.update(
            WARDEN_VAR_DIR=str(self.var),
            WARDEN_JWT_SECRET=SECRET,
            WARDEN_WITHDRAWALS_DATABASE_URL=f"sqlite:///{self.var}/withdrawals.db",
        )
        for _ in range(attempts):  # another process may take the free port first
            self.port = free_port()
            log = open(self.var / f"gunicorn-{self.port}.log", "wb")  # noqa: SIM115
            command = [
                sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                "services.withdrawals:create_app()",
            ]  # fmt: skip
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
            log.close()
            if self._healthy():
                return self
            self.stop()
        raise RuntimeError(f"gunicorn did not start; see {self.var}")

    def _healthy(self, timeout: float = 60.0) -> bool:
        try:
            wait_for_port("127.0.0.1", self.port, timeout)
        except TimeoutError:
            return False
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return True
            except OSError:
                time.sleep(0.1)
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Gunicorn(tmp_path_factory.mktemp("http-connections")).start()
    yield running
    running.stop()


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as pooled:
        yield pooled


def bearer(role: str, **claims) -> dict:
    return {"Authorization": f"Bearer {mint_token(SECRET, f'{role}-1', role, **claims)}"}


TELLER = bearer("teller", branch_id="HF-01")
JSON = {"Content-Type": "application/json"}


def json_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes, whatever the schema makes of it."""
    return b'{"padding":"' + b"x" * (size - 14) + b'"}'


def local_port(response: httpx.Response) -> int:
    """The client's end of the connection the response came on."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def assert_problem(response: httpx.Response, status: int, kind: str | None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == (BASE + kind if kind else "about:blank")
    assert body["title"] and body["detail"]
    return body


def test_after_a_413_the_next_request_on_the_same_client_succeeds(client):
    for _ in range(ROUNDS):
        too_large = json_of(LIMIT + 1024)
        refused = client.post("/v1/appointments", content=too_large, headers={**TELLER, **JSON})
        assert_problem(refused, 413, "body-too-large")
        # The rest of the body is not worth reading: the client is told to reconnect.
        assert refused.headers["connection"] == "close"
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [(JSON, 401, "unauthenticated"), ({**bearer("auditor"), **JSON}, 403, "forbidden")],
    ids=["401", "403"],
)
def test_a_refusal_before_a_200_kb_body_is_read_keeps_the_connection(client, headers, status, kind):
    for _ in range(ROUNDS):
        refused = client.post("/v1/appointments", content=json_of(200_000), headers=headers)
        assert_problem(refused, status, kind)
        assert refused.headers["connection"] == "keep-alive"
        following = client.get("/healthz")
        assert following.status_code == 200
        # Kept alive as announced: the next request went on the very same connection.
        assert local_port(following) == local_port(refused)


def _chunks(data: bytes, size: int = 64 * 1024):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_body_over_the_limit_is_a_413_problem(client):
    for _ in range(3):
        refused = client.post(
            "/v1/appointments", content=_chunks(json_of(LIMIT + 1024)), headers={**TELLER, **JSON}
        )
        assert refused.request.headers["transfer-encoding"] == "chunked"
        assert_problem(refused, 413, "body-too-large")
        assert refused.headers["connection"] == "close"
        assert client.get("/healthz").status_code == 200


def test_a_chunked_body_within_the_limit_reaches_the_schema_whole(client):
    """Not a regression test: the guard that reading chunked bodies up front loses nothing."""
    answer = client.post(
        "/v1/appointments", content=_chunks(json_of(200_000)), headers={**TELLER, **JSON}
    )
    body = assert_problem(answer, 422, "validation-error")
    assert "padding" in body["errors"]  # the last field of 200 KB of JSON was parsed
    assert answer.headers["connection"] == "keep-alive"
    assert local_port(client.get("/healthz")) == local_port(answer)


def raw_exchange(server, data: bytes) -> bytes:
    """Send bytes no HTTP client library would, read until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def parse_one_response(raw: bytes) -> tuple[int, dict, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


GET = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
GUNICORN_REFUSALS = {
    "431 header field too large": (GET + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, None),
    "431 too many header fields": (
        GET + b"".join(b"X-%d: 1\r\n" % n for n in range(120)) + b"\r\n",
        431,
        None,
    ),
    "414 URI too long": (
        b"GET /healthz?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        414,
        None,
    ),
    "400 bad header bytes": (GET + b"X-Bad: a\x01b\r\n\r\n", 400, "malformed-request"),
    "400 bad header name": (GET + b"X Bad: b\r\n\r\n", 400, "malformed-request"),
    "400 broken chunk": (
        b"POST /v1/appointments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        "malformed-request",
    ),
}


@pytest.mark.parametrize(
    ("data", "status", "kind"), GUNICORN_REFUSALS.values(), ids=GUNICORN_REFUSALS.keys()
)
def test_what_gunicorn_refuses_itself_is_a_problem_too(server, data, status, kind):
    raw = raw_exchange(server, data)
    code, headers, body = parse_one_response(raw)
    assert code == status, raw
    assert headers["content-type"] == PROBLEM
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)  # one response, nothing after it
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["type"] == (BASE + kind if kind else "about:blank")
    assert set(problem) == {"type", "title", "status", "detail"}


def test_a_431_through_a_pooled_client_then_the_next_request_succeeds(client):
    refused = client.get("/healthz", headers={"X-Big": "a" * 9000})
    body = assert_problem(refused, 431, None)
    assert "8190 bytes" in body["detail"]
    assert client.get("/healthz").status_code == 200
