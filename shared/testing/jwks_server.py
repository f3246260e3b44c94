"""A small identity provider for API-token tests, run as its own process on loopback.

`oidc-provider-mock` (see `oidc_provider.py`) signs only RS256 ID tokens for its registered
clients, with one key for its whole life; API tests need more: ES256 as well as RS256, any
audience and claims, and key rotation. This script is that provider. It is run by path
(`python shared/testing/jwks_server.py --port N`) and imports only the standard library,
`cryptography` and PyJWT, so the process is nothing but HTTP on a port:

- `GET /.well-known/openid-configuration`: discovery (issuer, jwks_uri, token_endpoint).
- `GET /jwks`: the public keys (RSA and EC), each with `kid`, `alg` and `use: sig`.
- `POST /token`: a signed token, `{"claims": {...}, "alg": "RS256"|"ES256", "kid": ...,
  "unpublished": bool, "ttl": seconds}`; claims override the defaults (iss, aud, iat, exp).
  `unpublished` signs with a fresh key whose kid the JWKS never shows.
- `POST /rotate`: `{"alg": ..., "keep_old": bool}`: a new key for that algorithm.
- `GET /stats`: `{"jwks_fetches": n}`, how often the JWKS was read.
"""

import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

DEFAULT_AUDIENCE = "warden-api"
ALGORITHMS = ("RS256", "ES256")


def new_key(alg: str):
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported algorithm {alg!r}")


def public_jwk(alg: str, kid: str, private_key) -> dict:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk = algorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


class KeyRing:
    """The signing keys by algorithm (the newest signs) and every key the JWKS publishes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.signing: dict[str, tuple[str, object]] = {}
        self.published: dict[str, dict] = {}
        self.fetches = 0
        for alg in ALGORITHMS:
            self.rotate(alg, keep_old=False)

    def rotate(self, alg: str, keep_old: bool) -> str:
        key = new_key(alg)
        kid = f"{alg.lower()}-{secrets.token_hex(4)}"
        with self.lock:
            old = self.signing.get(alg)
            if old is not None and not keep_old:
                self.published.pop(old[0], None)
            self.signing[alg] = (kid, key)
            self.published[kid] = public_jwk(alg, kid, key)
        return kid

    def jwks(self) -> dict:
        with self.lock:
            self.fetches += 1
            return {"keys": list(self.published.values())}


class Handler(BaseHTTPRequestHandler):
    server_version = "warden-test-idp/1"
    ring: KeyRing
    issuer: str

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/.well-known/openid-configuration":
            self._send(
                200,
                {
                    "issuer": self.issuer,
                    "jwks_uri": self.issuer + "/jwks",
                    "token_endpoint": self.issuer + "/token",
                    "id_token_signing_alg_values_supported": list(ALGORITHMS),
                    "response_types_supported": ["token"],
                    "subject_types_supported": ["public"],
                },
            )
        elif self.path == "/jwks":
            self._send(200, self.ring.jwks())
        elif self.path == "/stats":
            self._send(200, {"jwks_fetches": self.ring.fetches})
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802 - http.server's naming
        try:
            body = self._body()
            if self.path == "/token":
                self._send(200, self._token(body))
            elif self.path == "/rotate":
                alg = body.get("alg", "RS256")
                self._send(200, {"kid": self.ring.rotate(alg, bool(body.get("keep_old", True)))})
            else:
                self._send(404, {"error": "not_found"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": "invalid_request", "error_description": str(exc)})

    def _token(self, body: dict) -> dict:
        alg = body.get("alg", "RS256")
        ttl = int(body.get("ttl", 300))
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + ttl}
        claims.update(body.get("claims") or {})
        claims = {name: value for name, value in claims.items() if value is not None}
        if body.get("unpublished"):
            kid, key = body.get("kid") or f"unpublished-{secrets.token_hex(4)}", new_key(alg)
        else:
            with self.ring.lock:
                kid, key = self.ring.signing[alg]
            kid = body.get("kid", kid)
        headers = {"kid": kid} if kid else {}
        token = jwt.encode(claims, key, algorithm=alg, headers=headers)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "kid": kid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    issuer = f"http://{args.host}:{args.port}"
    handler = type("BoundHandler", (Handler,), {"ring": KeyRing(), "issuer": issuer})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    print(f"listening on {issuer}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
