"""Ids sort by creation time and are Crockford base32 ULIDs."""

import time

from shared.ids import new_id

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CROCKFORD = set(ALPHABET)


def decode(ulid: str) -> int:
    return sum(ALPHABET.index(c) << (5 * (25 - i)) for i, c in enumerate(ulid))


def test_ids_are_26_crockford_characters_with_the_prefix():
    ulid = new_id("wd_")
    assert ulid.startswith("wd_") and len(ulid) == 29 and set(ulid[3:]) <= CROCKFORD


def test_ids_carry_the_creation_millisecond_and_sort_by_it():
    before = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= decode(first) >> 80 <= decode(second) >> 80 <= after
    assert first < second


def test_ids_do_not_repeat():
    assert len({new_id() for _ in range(10_000)}) == 10_000


def test_the_encoding_is_the_ulid_of_the_time_and_the_random_bits(monkeypatch):
    pairs = [a + b for a in ALPHABET for b in ALPHABET]
    for random_bits in (0, 1, 2**80 - 1, 0x0123_4567_89AB_CDEF_FEDC):
        monkeypatch.setattr("shared.ids.os.urandom", lambda n, r=random_bits: r.to_bytes(n, "big"))
        monkeypatch.setattr("shared.ids.time.time_ns", lambda: 1_767_225_600_123_456_789)
        value = 1_767_225_600_123 << 80 | random_bits
        assert new_id() == "".join(pairs[value >> s & 1023] for s in range(120, -1, -10))
        assert decode(new_id()) == value
