"""Small pieces the lean ASGI endpoints share (heartbeat pings, agent batches)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[Any]]


async def read_capped_body(receive: Receive, limit: int) -> bytes:
    """The request body's first *limit* + 1 bytes (enough to tell it is too large); the rest is
    read and dropped, never held."""
    kept = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        if len(kept) <= limit:
            kept += message.get("body", b"")[: limit + 1 - len(kept)]
        more = bool(message.get("more_body", False))
    return bytes(kept)
