"""One Redis pub/sub connection per web process, fanned out in-process.

Every connection of this process that wants a stream registers a listener
here; the hub subscribes to the stream's channel once, when the first
listener arrives, and unsubscribes when the last leaves. The hub reads a
burst (everything already received: one market-data batch publishes all its
stream texts in one script), frames each text once, and hands each listener
the list of its frames in one call, so a connection costs one write per burst
rather than one per message (``docs/adr/0007-websocket-fan-out.md``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import redis.asyncio as aioredis
from django.conf import settings

from api.ws.frames import Frame
from api.ws.outlet import Burst
from exchange.core import gc_tuning

logger = logging.getLogger(__name__)

_CONTROL = "md-stream:__hub__"  # always subscribed, so the reader can block on the socket


MAX_BURST = 2000
# Young collections this far apart: a 1,000-client burst's lists die before one runs.
GC_GEN0_THRESHOLD = 50_000


class Listener(Protocol):
    combined: bool  # wants ``{"stream": label, "data": ...}`` frames

    def deliver(self, frames: list[Frame], burst: Burst) -> None:
        """Take a burst's frames, in order (must not block). ``burst`` is shared by the
        burst's listeners: equal frame lists are joined into wire bytes once."""


class Hub:
    def __init__(self, url: str) -> None:
        self.url = url
        self.routes: dict[str, dict[str, set[Listener]]] = {}  # channel -> label -> listeners
        self.client: aioredis.Redis | None = None
        self.pubsub: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        self.delivered = 0

    async def _start(self) -> None:
        if self.reader is not None and not self.reader.done():
            return
        gc_tuning.tune(GC_GEN0_THRESHOLD)
        self.client = aioredis.Redis.from_url(self.url)
        self.pubsub = self.client.pubsub()
        await self.pubsub.subscribe(_CONTROL, *self.routes)
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def add(self, channel: str, label: str, listener: Listener) -> None:
        async with self.lock:
            await self._start()
            labels = self.routes.get(channel)
            if labels is None:
                labels = self.routes[channel] = {}
                await self.pubsub.subscribe(channel)
            labels.setdefault(label, set()).add(listener)

    async def remove(self, channel: str, label: str, listener: Listener) -> None:
        async with self.lock:
            labels = self.routes.get(channel)
            if labels is None:
                return
            listeners = labels.get(label)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del labels[label]
            if not labels:
                del self.routes[channel]
                with contextlib.suppress(aioredis.RedisError, OSError):
                    await self.pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                burst = await self._burst()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The connection dropped: redis-py resubscribes on reconnect; clients see a
                # gap in the depth ids and resynchronise, as with any lost message.
                logger.warning("websocket hub: pub/sub read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            try:
                self.dispatch(burst)
            except Exception:
                logger.exception("websocket hub: fan-out failed")

    async def _burst(self) -> list[tuple[str, str]]:
        """Block for one message, then take every message already received."""
        burst: list[tuple[str, str]] = []
        message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
        while message is not None and len(burst) < MAX_BURST:
            if message.get("type") == "message":
                burst.append((message["channel"].decode(), message["data"].decode()))
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
        return burst

    def dispatch(self, burst: list[tuple[str, str]]) -> None:
        pending: dict[Listener, list[Frame]] = {}
        for channel, text in burst:
            labels = self.routes.get(channel)
            if not labels:
                continue
            frame = Frame(text)
            for label, listeners in labels.items():
                wrapped: Frame | None = None
                for listener in listeners:
                    if listener.combined:
                        wrapped = wrapped or frame.wrapped(label)
                        item = wrapped
                    else:
                        item = frame
                    frames = pending.get(listener)
                    if frames is None:
                        pending[listener] = [item]
                    else:
                        frames.append(item)
        shared = Burst()
        for listener, frames in pending.items():
            listener.deliver(frames, shared)
            self.delivered += len(frames)


_hub: Hub | None = None


def get_hub() -> Hub:
    """The process's hub (created lazily inside the running event loop)."""
    global _hub
    if _hub is None:
        _hub = Hub(settings.REDIS_URL)
    return _hub
