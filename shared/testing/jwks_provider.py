"""The test identity provider of `jwks_server.py`, started as a process and driven over HTTP.

Start with `with JwksProvider() as idp:`; `idp.token(...)` asks its token endpoint for a signed
token, `idp.rotate(...)` makes it sign with a new key, `idp.jwks_fetches()` says how often a
service read its JWKS. Process handling (start, wait for discovery, stop) is OidcProvider's.
"""

import sys
from pathlib import Path

import httpx

from shared.testing.oidc_provider import OidcProvider

SERVER_SCRIPT = Path(__file__).with_name("jwks_server.py")


class JwksProvider(OidcProvider):
    """A loopback IdP publishing RSA and EC keys; its tokens are for DEFAULT_AUDIENCE by default."""

    def __init__(self, *, port: int | None = None, startup_timeout: float = 30.0):
        super().__init__(port=port, startup_timeout=startup_timeout)

    def command(self) -> list[str]:
        return [sys.executable, str(SERVER_SCRIPT), "--host", "127.0.0.1", "--port", str(self.port)]

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    def token(
        self,
        claims: dict | None = None,
        *,
        alg: str = "RS256",
        kid: str | None = None,
        unpublished: bool = False,
        ttl: int = 300,
    ) -> str:
        """A token from the token endpoint; `claims` override iss, aud, iat and exp too."""
        body: dict = {"claims": claims or {}, "alg": alg, "unpublished": unpublished, "ttl": ttl}
        if kid is not None:
            body["kid"] = kid
        response = httpx.post(self.issuer + "/token", json=body, timeout=10.0)
        response.raise_for_status()
        return response.json()["access_token"]

    def rotate(self, alg: str = "RS256", *, keep_old: bool = True) -> str:
        """Sign `alg` tokens with a new key from now on; the new kid."""
        response = httpx.post(
            self.issuer + "/rotate", json={"alg": alg, "keep_old": keep_old}, timeout=10.0
        )
        response.raise_for_status()
        return response.json()["kid"]

    def jwks(self) -> dict:
        response = httpx.get(self.jwks_url, timeout=5.0)
        response.raise_for_status()
        return response.json()

    def jwks_fetches(self) -> int:
        response = httpx.get(self.issuer + "/stats", timeout=5.0)
        response.raise_for_status()
        return response.json()["jwks_fetches"]
