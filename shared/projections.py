"""Read models: small apply functions per event type, updated in the writer's transaction."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, MetaData, select

from shared import eventstore
from shared.db import read_transaction, write_transaction
from shared.envelope import StoredEvent

Apply = Callable[[Connection, StoredEvent], None]


@dataclass
class Projections:
    """A service's read-model tables and the functions that keep them up to date."""

    metadata: MetaData = field(default_factory=MetaData)
    appliers: dict[str, list[Apply]] = field(default_factory=dict)

    def on(self, *event_types: str) -> Callable[[Apply], Apply]:
        def register(fn: Apply) -> Apply:
            for event_type in event_types:
                self.appliers.setdefault(event_type, []).append(fn)
            return fn

        return register

    def apply(self, conn: Connection, stored: Iterable[StoredEvent]) -> None:
        for event in stored:
            for fn in self.appliers.get(event.type, ()):
                fn(conn, event)

    def snapshot(self, engine: Engine) -> dict[str, list[tuple]]:
        """Every projection row, sorted, for comparing state before and after a rebuild."""
        with read_transaction(engine) as conn:
            return {
                name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for name, table in sorted(self.metadata.tables.items())
            }

    def rebuild(self, engine: Engine, batch: int = 1000) -> int:
        """Drop and recreate the read models, then replay the log into them.

        It runs as one write transaction holding the append lock, so no event slips in between
        the replay and the commit; SQLite readers keep seeing the old rows until then.
        """
        replayed = 0
        with write_transaction(engine) as conn:
            eventstore.lock_log(conn)
            self.metadata.drop_all(conn)
            self.metadata.create_all(conn)
            position = 0
            while chunk := eventstore.read_after(conn, position, batch):
                self.apply(conn, chunk)
                replayed += len(chunk)
                position = chunk[-1].position
        return replayed
