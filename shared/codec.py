"""One JSON encoding for all of Warden: orjson, sorted keys, so event hashes reproduce."""

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(value) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


def dumpb(value) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


loads = orjson.loads
