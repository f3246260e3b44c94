"""Envelopes parse strictly, and reactions keep the story's correlation id."""

from datetime import UTC, datetime

import pytest

from shared import codec
from shared.envelope import SYSTEM_ACTOR, Context, Envelope

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
