"""A real OpenID provider for tests: `oidc-provider-mock` in its own process on loopback.

It speaks the whole protocol (discovery, authorize page, token endpoint, RS256 ID tokens,
JWKS, userinfo), so a sign-in test exercises exactly the HTTP a bank's provider would see.
Who signs in is chosen as a person would: on its authorize page, by typing a subject into the
`sub` field (or pressing a predefined user's button). A subject's claims (role, police unit,
branch) are set beforehand with `set_user`, or at start with `users=`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import httpx

from shared.ports import free_port

DISCOVERY_PATH = "/.well-known/openid-configuration"


class OidcProvider:
    """Start with `with OidcProvider() as provider:` (or `.start()` / `.stop()`).

    `require_registration=True` (the default) makes the provider check client secrets and
    exact redirect URIs, as a real one does; get credentials with `register_client`.
    """

    def __init__(
        self,
        *,
        users: Iterable[dict] = (),
        require_registration: bool = True,
        require_nonce: bool = True,
        token_max_age_seconds: int = 300,
        port: int | None = None,
        startup_timeout: float = 60.0,
    ):
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.users = [dict(user) for user in users]
        self.require_registration = require_registration
        self.require_nonce = require_nonce
        self.token_max_age_seconds = token_max_age_seconds
        self.startup_timeout = startup_timeout
        self.log_path = Path(tempfile.mkstemp(prefix="warden-oidc-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        """The provider's own CLI (`python -m oidc_provider_mock`), run by this interpreter."""
        command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        command += ["--token-max-age", str(self.token_max_age_seconds)]
        if self.require_registration:
            command.append("--require-registration")
        if self.require_nonce:
            command.append("--require-nonce")
        for user in self.users:
            command += ["--user-claims", json.dumps(user)]
        return command

    def start(self) -> "OidcProvider":
        if self.process is not None:
            return self
        # The mock imports Authlib modules Authlib itself deprecates; that is the mock's business,
        # and a caller's PYTHONWARNINGS=error must not kill the provider at import.
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            self._wait_for_discovery()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_discovery(self) -> None:
        """Ready when the discovery document names this issuer; fail fast if it died."""
        deadline = time.monotonic() + self.startup_timeout
        url = self.issuer + DISCOVERY_PATH
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the OIDC provider exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                response = httpx.get(url, timeout=1.0)
                if response.status_code == 200 and response.json().get("issuer") == self.issuer:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(
            f"no discovery document at {url} after {self.startup_timeout}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "OidcProvider":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def discovery(self) -> dict:
        response = httpx.get(self.issuer + DISCOVERY_PATH, timeout=5.0)
        response.raise_for_status()
        return response.json()

    def register_client(
        self, redirect_uris: Iterable[str], auth_method: str = "client_secret_basic"
    ) -> tuple[str, str]:
        """Dynamic client registration (RFC 7591): the (client_id, client_secret) to use."""
        response = httpx.post(
            self.issuer + "/oauth2/clients",
            json={"redirect_uris": list(redirect_uris), "token_endpoint_auth_method": auth_method},
            timeout=5.0,
        )
        response.raise_for_status()
        body = response.json()
        return body["client_id"], body["client_secret"]

    def set_user(self, sub: str, claims: dict) -> None:
        """The claims the ID token and userinfo carry when `sub` signs in (replaces earlier)."""
        response = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims, timeout=5.0)
        response.raise_for_status()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
