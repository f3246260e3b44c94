"""Leases in the service database, so exactly one worker runs a singleton such as the relay."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.db import write_transaction
from shared.envelope import as_utc
from shared.schema import leases


class LeaseLost(Exception):
    """Another holder took the lease; stop acting as the singleton."""


def try_acquire(engine: Engine, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take or renew the lease if it is free, expired or already ours."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=ttl_seconds)
    try:
        with write_transaction(engine) as conn:
            row = conn.execute(
                select(leases.c.holder, leases.c.expires_at)
                .where(leases.c.name == name)
                .with_for_update()
            ).first()
            if row is None:
                conn.execute(insert(leases).values(name=name, holder=holder, expires_at=expires))
                return True
            if row.holder != holder and as_utc(row.expires_at) > now:
                return False
            conn.execute(
                update(leases)
                .where(leases.c.name == name)
                .values(holder=holder, expires_at=expires)
            )
            return True
    except IntegrityError:
        return False  # another worker inserted the row first


_HELD = (
    select(leases.c.holder, leases.c.expires_at)
    .where(leases.c.name == bindparam("b_name"))
    .with_for_update()
)


def assert_held(conn: Connection, name: str, holder: str) -> None:
    """Fence a write: inside the caller's transaction, fail if the lease is not ours."""
    row = conn.execute(_HELD, {"b_name": name}).first()
    if row is None or row.holder != holder or as_utc(row.expires_at) <= datetime.now(UTC):
        raise LeaseLost(name)


def release(engine: Engine, name: str, holder: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.holder == holder)
            .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
        )
