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
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
from django.conf import settings

from api.ws.frames import Frame
from api.ws.outlet import Burst
from exchange.core import gc_tuning

logger = logging.getLogger(__name__)

_CONTROL = "md-stream:__hub__"  # always subscribed, so the reader can block on the socket


# Turns a decoded channel message into the text a listener's clients get.
Render = Callable[[Any], str]
# A listener's key on a channel: the stream name its clients know it by, and its renderer
# (None: the text as published, e.g. user events, which each listener shapes itself).
Route = tuple[str, Render | None]

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
        self.routes: dict[str, dict[Route, set[Listener]]] = {}  # channel -> route -> listeners
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

    async def add(
        self, channel: str, label: str, listener: Listener, render: Render | None = None
    ) -> None:
        async with self.lock:
            await self._start()
            labels = self.routes.get(channel)
            if labels is None:
                labels = self.routes[channel] = {}
                await self.pubsub.subscribe(channel)
            labels.setdefault((label, render), set()).add(listener)

    async def remove(
        self, channel: str, label: str, listener: Listener, render: Render | None = None
    ) -> None:
        async with self.lock:
            labels = self.routes.get(channel)
            if labels is None:
                return
            listeners = labels.get((label, render))
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del labels[(label, render)]
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
        # A defaultdict and a local count: the per-listener loop is the fan-out's hot path
        # (it runs clients x messages times), so each step in it is a C call or nothing.
        pending: defaultdict[Listener, list[Frame]] = defaultdict(list)
        for channel, text in burst:
            labels = self.routes.get(channel)
            if not labels:
                continue
            rendered = _Rendered(text)
            for (label, render), listeners in labels.items():
                frame = rendered.frame(render)
                if frame is None:
                    continue
                wrapped: Frame | None = None
                for listener in listeners:
                    if listener.combined:
                        if wrapped is None:
                            wrapped = frame.wrapped(label)
                        pending[listener].append(wrapped)
                    else:
                        pending[listener].append(frame)
        shared = Burst()
        delivered = 0
        for listener, frames in pending.items():
            listener.deliver(frames, shared)
            delivered += len(frames)
        self.delivered += delivered


class _Rendered:
    """One message's frames, one per renderer, decoded at most once."""

    __slots__ = ("decoded", "frames", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoded: Any = None
        self.frames: dict[Render | None, Frame | None] = {}

    def frame(self, render: Render | None) -> Frame | None:
        """The message's frame for ``render``; None (logged) if the message cannot be rendered."""
        if render in self.frames:
            return self.frames[render]
        frame: Frame | None
        if render is None:
            frame = Frame(self.text)
        else:
            try:
                if self.decoded is None:
                    self.decoded = json.loads(self.text)
                frame = Frame(render(self.decoded))
            except (ValueError, KeyError, TypeError):
                logger.warning("websocket hub: cannot render %.200r", self.text)
                frame = None
        self.frames[render] = frame
        return frame


_hub: Hub | None = None


def get_hub() -> Hub:
    """The process's hub (created lazily inside the running event loop)."""
    global _hub
    if _hub is None:
        _hub = Hub(settings.REDIS_URL)
    return _hub
