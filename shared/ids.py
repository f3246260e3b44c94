"""Time-sortable opaque ids (ULID layout): logs and lists sort by creation."""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 digits per lookup: an id is made on every appended event, so it is kept cheap.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def new_id(prefix: str = "") -> str:
    """A 26-character Crockford base32 ULID: 48 bits of milliseconds, then 80 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    p = _PAIRS
    # Unrolled: a generator over the thirteen shifts cost more than the lookups themselves.
    return (
        f"{prefix}{p[value >> 120]}{p[value >> 110 & 1023]}{p[value >> 100 & 1023]}"
        f"{p[value >> 90 & 1023]}{p[value >> 80 & 1023]}{p[value >> 70 & 1023]}"
        f"{p[value >> 60 & 1023]}{p[value >> 50 & 1023]}{p[value >> 40 & 1023]}"
        f"{p[value >> 30 & 1023]}{p[value >> 20 & 1023]}{p[value >> 10 & 1023]}{p[value & 1023]}"
    )
