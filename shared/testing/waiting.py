"""Waiting for eventual effects in tests without sleeping a fixed time."""

import asyncio
import time


async def eventually(predicate, timeout: float = 30.0, interval: float = 0.1) -> bool:
    """Poll a blocking `predicate` (in a thread) until it is true; False after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(interval)
    return False
