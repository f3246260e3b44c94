"""DOMAIN §2 Idempotency-Key: the first answer to a key is the only answer, and effects happen once.

A request carrying a key writes in one database transaction (shared.db.SharedTransaction): the
command's write transaction (where `claim_in` claims the key), the reads after it that its
answer is made of, and the stored answer are all one commit. (What the command reads before it
decides is read outside it, and checked at the append: shared/application.py.) So there is no
moment at which the effects are committed and the answer is not: a process that dies anywhere in
the request leaves nothing, and the retry does the work once; a failed store rolls the effects
back and answers 503. The claim still matters: a concurrent duplicate's claim waits on the first
one's and then answers 409. An answer that is not remembered (a 404, 409, 5xx...) is not
committed either, so the key stays free for the retry. The price is that the log_head lock is
held until the answer is stored, a few milliseconds longer than the append needs. (A pointer
stored at claim time, to re-read the resource after a crash, would answer with the resource as
it is by then rather than the answer given, and some answers, a tier override or a verification
request, have no URL to re-read.)

Two requests are the same if method, path, query parameters (in any order of names) and body
match; a JSON body is compared by its parsed value re-encoded with sorted keys, so key order
and whitespace do not count; any other body by its bytes.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from flask import Flask, Response, g, request
from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared.db import SharedTransaction, begin_shared, read_transaction, write_transaction
from shared.envelope import as_utc
from shared.retention import IDEMPOTENCY_WINDOW
from shared.schema import idempotency_keys as keys
from shared.web.auth import current_principal_or_none
from shared.web.json_bodies import parse_json_body
from shared.web.problems import Problem, problem_response
from shared.web.state import web_state

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETENTION = IDEMPOTENCY_WINDOW
STORED_HEADERS = ("Location", "Content-Type")
# Not remembered: the caller is meant to retry these with the same key once things change
# (a 404 is often "not heard of yet": DOMAIN §6 tells callers to retry it).
UNSTORED_STATUSES = frozenset({401, 403, 404, 409, 429})
MAX_KEY_LENGTH = 200
# Printable ASCII, no space at either end (a proxy would strip it and change the key).
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
IN_PROGRESS = f"A request with this {HEADER} is in progress; retry later."
NOT_RECORDED = f"The answer could not be recorded; retry with this {HEADER}: it takes effect once."


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
    # A stable sort by name: `?a=1&b=2` is `?b=2&a=1`, but repeated values keep their order.
    query = sorted(request.args.items(multi=True), key=lambda item: item[0])
    parts = (request.method, request.path, json.dumps(query))
    digest = hashlib.sha256()
    for part in (*(p.encode() for p in parts), _canonical_body()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _canonical_body() -> bytes:
    """A JSON body as its value re-encoded with sorted keys; anything else (or bad JSON) as is."""
    data = request.get_data(cache=True)
    if request.is_json:
        try:
            value = parse_json_body(data, web_state().settings.max_json_depth)
        except Problem:  # the view refuses it, and that answer is stored under the raw bytes
            pass
        else:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return b"json:" + text.encode()
    return b"raw:" + data


def _check_key() -> Response | None:
    """Before the view: replay, refuse, or let the request through in one shared transaction."""
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
        row = conn.execute(_FIND, {"scope": pending.scope, "key": key}).first()
    if row is None or as_utc(row.created_at) <= state.clock() - RETENTION:
        g.warden_shared = begin_shared(state.engine)
        return None
    pending.store = False
    if row.request_hash != pending.request_hash:
        raise Problem(422, detail=f"This {HEADER} was already used with a different request.")
    if row.status_code is None:  # a streamed answer, which is never stored
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
    """Insert this key's record, replacing an expired one; False if a live one exists.

    One statement: an insert that, on a record with this key, overwrites it only if it has
    expired (so it returns no row when a live record stands).
    """
    row = {column: values.get(column) for column in _ANSWER_COLUMNS}
    row.update(
        scope=pending.scope,
        key=pending.key,
        request_hash=pending.request_hash,
        created_at=now,
        expired_before=now - RETENTION,
    )
    return conn.execute(_upsert(conn.dialect.name), row).first() is not None


_ANSWER_COLUMNS = ("status_code", "response_body", "response_headers")
_FIND = select(keys).where(keys.c.scope == bindparam("scope"), keys.c.key == bindparam("key"))


@cache
def _upsert(dialect: str):
    """Built once per dialect: it runs on every keyed request. The columns are bound by name."""
    statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(keys)
    replaced = ("request_hash", "created_at", *_ANSWER_COLUMNS)
    return statement.on_conflict_do_update(
        index_elements=[keys.c.scope, keys.c.key],
        set_={c: statement.excluded[c] for c in replaced},
        where=keys.c.created_at <= bindparam("expired_before", type_=keys.c.created_at.type),
    ).returning(keys.c.scope)


@contextmanager
def idempotent_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that first claims the request's key, for views not using execute."""
    with write_transaction(engine) as conn:
        claim_in(conn)
        yield conn


def _storable(pending: PendingKey, response: Response) -> bool:
    return (
        pending.store
        and response.status_code < 500
        and response.status_code not in UNSTORED_STATUSES
        and not response.direct_passthrough
    )


def _answer(response: Response) -> Response:
    """After the view: store the answer and commit with the effects, or keep neither."""
    pending, shared = pending_key(), g.pop("warden_shared", None)
    if pending is None or shared is None:
        return response
    status = response.status_code
    keep = status < 500 and status not in UNSTORED_STATUSES
    state = web_state()
    try:
        if _storable(pending, response):
            _save(shared.connection(), pending, _stored_values(response), state.clock())
        shared.finish(commit=keep)
    except Exception:  # nothing was committed, or all of it was: either way the retry is right
        state.log.exception("idempotency_store_failed", scope=pending.scope, key=pending.key)
        shared.finish(commit=False)
        return problem_response(Problem(503, detail=NOT_RECORDED, headers={"Retry-After": "1"}))
    return response


def _stored_values(response: Response) -> dict:
    return {
        "status_code": response.status_code,
        "response_body": response.get_data(),
        "response_headers": {
            h: response.headers[h] for h in STORED_HEADERS if h in response.headers
        },
    }


def _save(conn: Connection, pending: PendingKey, values: dict, now) -> None:
    """Fill in our claim, or record the answer of a view that never claimed (e.g. a 422).

    In the shared transaction itself, not a savepoint of it: if this fails, nothing commits.
    """
    params = {
        **values,
        "b_scope": pending.scope,
        "b_key": pending.key,
        "b_request_hash": pending.request_hash,
        "expired_before": now - RETENTION,
    }
    if not conn.execute(_FILL, params).rowcount:
        # If this finds a live record, a concurrent request answered first; that stands.
        _insert_record(conn, pending, now, **values)


_FILL = (
    update(keys)
    .where(keys.c.scope == bindparam("b_scope"), keys.c.key == bindparam("b_key"))
    .where(keys.c.request_hash == bindparam("b_request_hash"), keys.c.status_code.is_(None))
    .where(keys.c.created_at > bindparam("expired_before", type_=keys.c.created_at.type))
)


def _end_shared(_exc: BaseException | None) -> None:
    """However the request ended (an exception past every handler), leave no transaction open."""
    shared: SharedTransaction | None = g.pop("warden_shared", None)
    if shared is not None:
        shared.finish(commit=False)


def init_idempotency(app: Flask) -> None:
    """Registered after authentication (the scope needs the caller's `sub`), and last, so its
    after_request runs first and the commit is made before anything else sees the answer."""
    app.before_request(_check_key)
    app.after_request(_answer)
    app.teardown_request(_end_shared)
