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
