"""Optimistic concurrency for a decision that reads more than the stream it appends to.

A stream's own version protects a decision about that stream: the append names the version it
read, and a unique constraint refuses a second writer. Some decisions read across streams: a
withdrawal's screening adds up the account's other requests, an account opening counts the
customer's other accounts. Such a decision reads `version(key)` with its other reads, outside
any lock, and calls `advance(key, seen)` in the write transaction that appends its events. If
another decision on the same key committed in between, `advance` raises ConcurrencyError and the
caller reads and decides again; decisions on other keys never wait for each other.

On PostgreSQL the conditional UPDATE takes the row lock, so a concurrent writer on the same key
waits for this commit and then finds the version moved; on SQLite the write transaction is the
database's single writer already.
"""

from sqlalchemy import Connection, bindparam, select, text

from shared.eventstore import ConcurrencyError
from shared.schema import guards

# Built once: these run on every guarded command.
_VERSION = select(guards.c.version).where(guards.c.key == bindparam("key"))
_FIRST = text("INSERT INTO guards (key, version) VALUES (:key, 1) ON CONFLICT (key) DO NOTHING")
_NEXT = text("UPDATE guards SET version = :seen + 1 WHERE key = :key AND version = :seen")


def version(conn: Connection, key: str) -> int:
    """The token's version now; 0 for a key no decision has advanced yet."""
    return conn.execute(_VERSION, {"key": key}).scalar() or 0


def advance(conn: Connection, key: str, seen: int) -> None:
    """Move the token from `seen` to the next version, or raise ConcurrencyError if it moved."""
    statement = _FIRST if seen == 0 else _NEXT
    if conn.execute(statement, {"key": key, "seen": seen}).rowcount != 1:
        raise ConcurrencyError(f"{key} was decided on concurrently")
