"""Envelopes parse strictly, reactions keep the story's correlation id, hashes reproduce."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared import codec
from shared.envelope import (
    GENESIS_HASH,
    SYSTEM_ACTOR,
    Context,
    Envelope,
    StoredEvent,
    as_utc,
    chain_hash,
    iso,
    stored_event,
)

WIRE = {
    "event_id": "e-1",
    "type": "WithdrawalHeld",
    "schema_version": 1,
    "stream_id": "w-1",
    "version": 1,
    "position": 7,
    "occurred_at": "2026-01-01T00:00:00.000000Z",
    "correlation_id": "story-9",
    "causation_id": "req-3",
    "actor": {"role": "teller", "sub": "t-1"},
    "data": {"amount": "80000.00"},
}


def test_a_well_formed_envelope_parses():
    envelope = Envelope.parse(codec.dumpb(WIRE))
    assert (envelope.type, envelope.position, envelope.data) == (
        "WithdrawalHeld",
        7,
        {"amount": "80000.00"},
    )


@pytest.mark.parametrize(
    "broken",
    [
        b"{not json",
        b"[]",
        codec.dumpb({k: v for k, v in WIRE.items() if k != "data"}),
        codec.dumpb({**WIRE, "event_id": ""}),
        codec.dumpb({**WIRE, "version": "one"}),
        codec.dumpb({**WIRE, "data": "text"}),
    ],
)
def test_malformed_envelopes_raise_value_error(broken):
    with pytest.raises(ValueError):
        Envelope.parse(broken)


def test_a_reaction_continues_the_story_and_names_its_cause():
    envelope = Envelope.parse(codec.dumpb(WIRE))
    now = datetime(2026, 1, 2, tzinfo=UTC)
    context = Context.reacting_to(envelope, now)
    assert context.correlation_id == "story-9"
    assert context.causation_id == "e-1"
    assert context.actor == SYSTEM_ACTOR
    assert context.metadata("case")["occurred_at"] == "2026-01-02T00:00:00.000000Z"


def test_occurred_is_utc_and_refuses_a_time_without_a_zone():
    envelope = Envelope.parse(codec.dumpb({**WIRE, "occurred_at": "2026-01-01T08:00:00+08:00"}))
    assert envelope.occurred() == datetime(2026, 1, 1, tzinfo=UTC)
    assert Envelope.parse(codec.dumpb({**WIRE, "occurred_at": None})).occurred() is None
    with pytest.raises(ValueError):
        Envelope.parse(codec.dumpb({**WIRE, "occurred_at": "2026-01-01T08:00:00"})).occurred()


# Computed by the implementation before the append path wrote its own JSON: a stored chain
# must keep verifying byte for byte.
EXISTING = StoredEvent(
    7,
    "w-1",
    3,
    "WithdrawalHeld",
    1,
    {"amount": "80000.00", "note": "café 取款", "z": [1, 2.5, None, True]},
    {
        "aggregate": "withdrawal",
        "actor": {"role": "teller", "sub": "t-1"},
        "occurred_at": "2026-01-01T00:00:00.000000Z",
        "correlation_id": "c",
        "causation_id": None,
    },
    "01JH0000000000000000000000",
    datetime(2026, 3, 2, 1, 30, 5, 120, tzinfo=UTC),
    "",
)


def test_the_chain_hash_of_an_existing_event_is_unchanged():
    assert chain_hash(GENESIS_HASH, EXISTING) == (
        "e445c891b2ec63ea7db6523cef93f255ef453fa11acfade54cece0adb17a8f20"
    )


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 2, 1, 30, 5, 120, tzinfo=UTC),
        datetime(2026, 3, 2, 1, 30, 5, tzinfo=UTC),
        datetime(2026, 3, 2, 9, 30, 5, 999999, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 3, 2, 1, 30),  # naive: taken as UTC
        datetime(999, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_iso_is_the_strftime_layout_hashes_were_made_with(moment):
    assert iso(moment) == as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_fast_built_stored_event_is_the_same_frozen_value():
    fields = [getattr(EXISTING, f.name) for f in dataclasses.fields(StoredEvent)]
    built = stored_event(*fields)
    assert type(built) is StoredEvent and built == EXISTING and repr(built) == repr(EXISTING)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.hash = "x"
