"""Events as they are decided (NewEvent), stored (StoredEvent) and sent on the wire (DOMAIN §4)."""

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from shared import codec

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    role: str
    sub: str

    def as_dict(self) -> dict:
        return {"role": self.role, "sub": self.sub}


SYSTEM_ACTOR = Actor(role="system", sub="warden")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What a domain `decide` returns: a past-tense type and its payload."""

    type: str
    data: dict
    schema_version: int = 1


@dataclass(frozen=True, slots=True)
class Context:
    """Who asked, when, and why: stamped on every event a command or message produces."""

    actor: Actor
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def reacting_to(
        cls, envelope: "Envelope", occurred_at: datetime, actor: Actor = SYSTEM_ACTOR
    ) -> "Context":
        """The context for events a handler appends because `envelope` arrived: same story."""
        return cls(
            actor=actor,
            occurred_at=occurred_at,
            correlation_id=envelope.correlation_id or envelope.event_id,
            causation_id=envelope.event_id,
        )

    def metadata(self, aggregate: str) -> dict:
        meta = {
            "aggregate": aggregate,
            "actor": self.actor.as_dict(),
            "occurred_at": iso(self.occurred_at),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
        }
        meta.update(self.extra)
        return meta


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: dict
    metadata: dict
    event_id: str
    recorded_at: datetime
    hash: str

    @property
    def aggregate(self) -> str:
        return self.metadata.get("aggregate", "unknown")

    def envelope(self) -> dict:
        meta = self.metadata
        return {
            "event_id": self.event_id,
            "type": self.type,
            "schema_version": self.schema_version,
            "stream_id": self.stream_id,
            "version": self.version,
            "position": self.position,
            "occurred_at": meta.get("occurred_at"),
            "correlation_id": meta.get("correlation_id"),
            "causation_id": meta.get("causation_id"),
            "actor": meta.get("actor"),
            "data": self.data,
        }


# The slot descriptors set fields directly: the frozen __init__'s object.__setattr__ per
# field is most of the cost of building an event, and the store builds one per row.
_P, _S, _V, _T, _SV, _D, _M, _E, _R, _H = (
    StoredEvent.__dict__[f.name].__set__ for f in fields(StoredEvent)
)


def stored_event(p, s, v, t, sv, d, m, e, r, h, _new=object.__new__) -> StoredEvent:
    """StoredEvent(p, s, …, h), for the store's hot paths: same object, cheaper to build."""
    event = _new(StoredEvent)
    _P(event, p), _S(event, s), _V(event, v), _T(event, t), _SV(event, sv)
    _D(event, d), _M(event, m), _E(event, e), _R(event, r), _H(event, h)
    return event


@dataclass(frozen=True, slots=True)
class Envelope:
    """An event received from another service, parsed from the wire."""

    event_id: str
    type: str
    schema_version: int
    stream_id: str
    version: int
    position: int
    occurred_at: str
    correlation_id: str | None
    causation_id: str | None
    actor: dict
    data: dict

    def occurred(self) -> datetime | None:
        """When the fact happened at its source (None if the sender did not say), in UTC."""
        if not self.occurred_at:
            return None
        moment = datetime.fromisoformat(self.occurred_at)
        if moment.tzinfo is None:
            raise ValueError(f"occurred_at {self.occurred_at!r} has no time zone")
        return moment.astimezone(UTC)

    @classmethod
    def parse(cls, raw: bytes) -> "Envelope":
        """Raise ValueError on anything that is not a well-formed envelope."""
        try:
            body = codec.loads(raw)
            return cls(
                event_id=_text(body["event_id"]),
                type=_text(body["type"]),
                schema_version=int(body["schema_version"]),
                stream_id=_text(body["stream_id"]),
                version=int(body["version"]),
                position=int(body["position"]),
                occurred_at=body.get("occurred_at") or "",
                correlation_id=body.get("correlation_id"),
                causation_id=body.get("causation_id"),
                actor=dict(body.get("actor") or {}),
                data=dict(body["data"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed envelope: {exc}") from exc


def _text(value) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def utc_now() -> datetime:
    """The one clock that web requests, handlers and timers read when none is injected."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds, the one timestamp format in events and hashes."""
    moment = as_utc(moment)
    if moment.year < 1000:  # strftime's %Y does not pad; hashes of old events keep its form
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # isoformat is several times cheaper than strftime and, from year 1000 on, the same text.
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Warden stores is UTC."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def chain_hash(previous: str, event: StoredEvent, recorded_iso: str | None = None) -> str:
    """SHA-256 over the predecessor's hash and every stored field of the event.

    `recorded_iso` is iso(event.recorded_at), passed in when a caller has it already.
    """
    body = codec.dumpb(
        [
            event.position,
            event.stream_id,
            event.version,
            event.type,
            event.schema_version,
            event.data,
            event.metadata,
            event.event_id,
            recorded_iso or iso(event.recorded_at),
        ]
    )
    return hashlib.sha256(previous.encode() + body).hexdigest()


def chain_link(previous: str, body: str) -> str:
    """chain_hash from the event's JSON body already written out (the append path has it)."""
    return hashlib.sha256((previous + body).encode()).hexdigest()
