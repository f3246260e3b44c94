"""DOMAIN §2 Idempotency-Key: the first answer to a key is the only answer, and effects happen once.

A key is claimed inside the command's own write transaction (`claim_in`), so the claim and the
effects commit or vanish together; the response is stored after the view has answered.
"""

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Response, g, request
from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.db import read_transaction, write_transaction
from shared.envelope import as_utc
from shared.schema import idempotency_keys as keys
from shared.web.auth import current_principal_or_none
from shared.web.problems import Problem
from shared.web.state import web_state

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETENTION = timedelta(hours=24)
STORED_HEADERS = ("Location", "Content-Type")
# Not remembered: the caller is meant to retry these with the same key once things change
# (a 404 is often "not heard of yet": DOMAIN §6 tells callers to retry it).
UNSTORED_STATUSES = frozenset({401, 403, 404, 409, 429})
MAX_KEY_LENGTH = 200
# Printable ASCII, no space at either end (a proxy would strip it and change the key).
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
IN_PROGRESS = f"A request with this {HEADER} is in progress; retry later."


@dataclass
class PendingKey:
    scope: str
    key: str
    request_hash: str
    store: bool = True


def pending_key() -> PendingKey | None:
    """The Idempotency-Key of this request, if it has one still to be honoured."""
    return g.get("warden_idempotency")


def _scope(sub: str) -> str:
    scope = f"{sub} {request.method} {request.path}"
    if len(scope) <= 200:
        return scope
    return "sha256:" + hashlib.sha256(scope.encode()).hexdigest()


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data(cache=True)):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _not_expired(now):
    return keys.c.created_at > now - RETENTION


def _check_key() -> Response | None:
    """Before the view: replay, refuse, or let the request through carrying its key."""
    key = request.headers.get(HEADER)
    principal = current_principal_or_none()
    if key is None or request.method not in METHODS or principal is None:
        return None
    if _KEY.fullmatch(key) is None:
        message = f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, no space at the ends."
        raise Problem(422, errors={HEADER: [message]})
    pending = PendingKey(_scope(principal.sub), key, _request_hash())
    g.warden_idempotency = pending
    state = web_state()
    with read_transaction(state.engine) as conn:
        row = conn.execute(
            select(keys).where(keys.c.scope == pending.scope, keys.c.key == key)
        ).first()
    if row is None or as_utc(row.created_at) <= state.clock() - RETENTION:
        return None
    pending.store = False
    if row.request_hash != pending.request_hash:
        raise Problem(422, detail=f"This {HEADER} was already used with a different request.")
    if row.status_code is None:
        raise Problem(409, detail=IN_PROGRESS)
    headers = {**(row.response_headers or {}), REPLAYED_HEADER: "true"}
    return Response(row.response_body, status=row.status_code, headers=headers)


def claim_in(conn: Connection) -> None:
    """Claim this request's key inside the command's write transaction.

    Pass it as `on_transaction` to shared.application.execute. If a duplicate claimed the key
    first, this raises a 409 problem and the caller's whole transaction rolls back.
    """
    pending = pending_key()
    if pending is None:
        return
    if not _insert_record(conn, pending, web_state().clock(), status_code=None):
        pending.store = False
        raise Problem(409, detail=IN_PROGRESS)


def _insert_record(conn: Connection, pending: PendingKey, now, **values) -> bool:
    """Insert this key's record, replacing an expired one; False if a live one exists."""
    where = and_(keys.c.scope == pending.scope, keys.c.key == pending.key)
    conn.execute(delete(keys).where(where, keys.c.created_at <= now - RETENTION))
    try:
        with conn.begin_nested():
            conn.execute(
                insert(keys).values(
                    scope=pending.scope,
                    key=pending.key,
                    request_hash=pending.request_hash,
                    created_at=now,
                    **values,
                )
            )
        return True
    except IntegrityError:
        return False


@contextmanager
def idempotent_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that first claims the request's key, for views not using execute."""
    with write_transaction(engine) as conn:
        claim_in(conn)
        yield conn


def _store_response(response: Response) -> Response:
    pending = pending_key()
    if (
        pending is None
        or not pending.store
        or response.status_code >= 500
        or response.status_code in UNSTORED_STATUSES
        or response.direct_passthrough
    ):
        return response
    state = web_state()
    values = {
        "status_code": response.status_code,
        "response_body": response.get_data(),
        "response_headers": {
            h: response.headers[h] for h in STORED_HEADERS if h in response.headers
        },
    }
    try:
        _save(state.engine, pending, values, state.clock())
    except Exception:  # the answer stands; a retry will see 409 until the record expires
        state.log.exception("idempotency_store_failed", scope=pending.scope, key=pending.key)
    return response


def _save(engine: Engine, pending: PendingKey, values: dict, now) -> None:
    """Fill in our claim, or record the answer of a view that never claimed (e.g. a 422)."""
    where = and_(keys.c.scope == pending.scope, keys.c.key == pending.key)
    with write_transaction(engine) as conn:
        updated = conn.execute(
            update(keys)
            .where(where, keys.c.request_hash == pending.request_hash)
            .where(keys.c.status_code.is_(None), _not_expired(now))
            .values(**values)
        ).rowcount
        if not updated:
            # If this finds a live record, a concurrent request answered first; that stands.
            _insert_record(conn, pending, now, **values)


def init_idempotency(app: Flask) -> None:
    """Registered after authentication: the scope needs the caller's `sub`."""
    app.before_request(_check_key)
    app.after_request(_store_response)
