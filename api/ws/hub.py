"""One Redis pub/sub connection per web process, fanned out in-process.

Every connection of this process that wants a stream registers a listener
here; the hub subscribes to the stream's channel once, when the first
listener arrives, and unsubscribes when the last leaves. A message is decoded
and framed once, then handed to each listener (``docs/adr/0004``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import redis.asyncio as aioredis
from django.conf import settings

from api.ws.frames import Frame

logger = logging.getLogger(__name__)

_CONTROL = "md-stream:__hub__"  # always subscribed, so the reader can block on the socket


class Listener(Protocol):
    combined: bool  # wants ``{"stream": label, "data": ...}`` frames

    def deliver(self, label: str, frame: Frame) -> None:
        """Take one message of the stream registered under ``label`` (must not block)."""


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
                message = await self.pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=None
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                # The connection dropped: redis-py resubscribes on reconnect; clients see a
                # gap in the depth ids and resynchronise, as with any lost message.
                logger.warning("websocket hub: pub/sub read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                self.dispatch(message["channel"].decode(), message["data"].decode())
            except Exception:
                logger.exception("websocket hub: fan-out failed")

    def dispatch(self, channel: str, text: str) -> None:
        labels = self.routes.get(channel)
        if not labels:
            return
        frame = Frame(text)
        for label, listeners in list(labels.items()):
            wrapped: Frame | None = None
            for listener in list(listeners):
                if listener.combined:
                    wrapped = wrapped or frame.wrapped(label)
                    listener.deliver(label, wrapped)
                else:
                    listener.deliver(label, frame)
            self.delivered += len(listeners)


_hub: Hub | None = None


def get_hub() -> Hub:
    """The process's hub (created lazily inside the running event loop)."""
    global _hub
    if _hub is None:
        _hub = Hub(settings.REDIS_URL)
    return _hub
