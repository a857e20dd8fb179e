"""A pub/sub channel's messages as an async iterator, through the process's hub.

GraphQL subscriptions read the same channels as the Binance streams, on the
same one pub/sub connection per process (``docs/adr/0041-graphql-subscriptions.md``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from api.ws.frames import Frame
from api.ws.hub import get_hub
from api.ws.outlet import Burst

# A subscriber this far behind is dropped rather than buffered without bound.
MAX_BACKLOG = 10_000


class FeedOverflow(Exception):
    """The subscriber read too slowly; its stream ends."""


class _Queue:
    combined = False

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    def deliver(self, frames: list[Frame], burst: Burst) -> None:
        for frame in frames:
            if self.queue.qsize() >= MAX_BACKLOG:
                self.queue.put_nowait(None)
                return
            self.queue.put_nowait(frame.text)


async def channel_messages(channel: str) -> AsyncIterator[str]:
    """Every message published on ``channel`` from now on, as text, until closed."""
    listener = _Queue()
    hub = get_hub()
    await hub.add(channel, "graphql", listener)
    try:
        while True:
            text = await listener.queue.get()
            if text is None:
                raise FeedOverflow(channel)
            yield text
    finally:
        await hub.remove(channel, "graphql", listener)
