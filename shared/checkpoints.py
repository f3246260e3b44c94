"""Named positions in the log that a loop (the relay, say) has finished with."""

from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from shared.schema import checkpoints

_GET = select(checkpoints.c.position).where(checkpoints.c.name == bindparam("b_name"))


def get(conn: Connection, name: str) -> int:
    return conn.execute(_GET, {"b_name": name}).scalar() or 0


def put(conn: Connection, name: str, position: int) -> None:
    now = datetime.now(UTC)
    moved = conn.execute(
        update(checkpoints)
        .where(checkpoints.c.name == name)
        .values(position=position, updated_at=now)
    ).rowcount
    if not moved:
        conn.execute(insert(checkpoints).values(name=name, position=position, updated_at=now))
