"""The event store's own tables; every service database has them, beside its projections."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# The log. `position` is assigned under the log_head row lock, so it is gapless and
# committed in order; `hash` chains every event to its predecessor.
events = Table(
    "events",
    metadata,
    Column(
        "position",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("stream_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

# One row: the last position and hash. Locking it serialises appends, which is what
# makes positions gapless and lets no reader pass a position filled later.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Messages this service has processed, written in the same transaction as their effects.
inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(40), primary_key=True),
    Column("subject", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
# Retention (shared/retention.py) deletes by age in small batches; these find the oldest rows.
Index("ix_inbox_processed_at", inbox.c.processed_at)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("consumer", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("event_id", String(40)),
    Column("payload", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution", String(40)),
)
Index("ix_dead_letters_resolved_at", dead_letters.c.resolved_at)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", LargeBinary),
    Column("response_headers", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_idempotency_keys_created_at", idempotency_keys.c.created_at)

# Leader election for singletons such as the relay: whoever holds an unexpired lease works.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Concurrency tokens for decisions that read more than their own stream (shared/guards.py):
# a withdrawal's screening reads the account's other requests, an opening the customer's
# other accounts. A decision made outside the append lock advances the token it read.
guards = Table(
    "guards",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
