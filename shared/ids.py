"""Time-sortable opaque ids (ULID layout): logs and lists sort by creation."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 digits per lookup: an id is made on every appended event, so it is kept cheap.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def new_id(prefix: str = "") -> str:
    """A 26-character Crockford base32 ULID: 48 bits of milliseconds, then 80 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    pairs = _PAIRS
    return prefix + "".join(pairs[(value >> shift) & 1023] for shift in range(120, -1, -10))
