"""Sending to one client without ever holding more than a bounded backlog for it.

Under daphne the ASGI ``send`` callable is ``partial(server.handle_reply,
protocol)`` and sending is a synchronous write into the Twisted transport, so
the backlog of a client that does not read is the transport's write buffer:
the outlet writes pre-framed messages straight to the protocol and drops the
connection when that buffer passes ``WS_SEND_BUFFER_BYTES``. Under any other
ASGI server (and in-process tests) it keeps its own queue with the same bound
and a writer task.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from django.conf import settings

from api.ws import metrics
from api.ws.frames import Frame

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


def send_buffer_limit() -> int:
    return int(settings.WS_SEND_BUFFER_BYTES)


def _daphne_protocol(send: Send) -> Any:
    if not isinstance(send, partial) or not send.args:
        return None
    protocol = send.args[0]
    needed = (
        "sendPreparedMessage",
        "transport",
        "dropConnection",
        "STATE_OPEN",
        "_perMessageCompress",
        "send_queue",
    )
    return protocol if all(hasattr(protocol, name) for name in needed) else None


def _transport_backlog(transport: Any) -> int:
    """Bytes a Twisted transport holds that the socket has not taken yet."""
    return (
        len(getattr(transport, "dataBuffer", b""))
        - getattr(transport, "offset", 0)
        + getattr(transport, "_tempDataLen", 0)
    )


class Burst:
    """One hub burst: frames that several clients get are joined into wire bytes once."""

    def __init__(self) -> None:
        # frames (by identity) -> (the frames, kept alive so no id is reused; their bytes)
        self.blobs: dict[tuple[int, ...], tuple[list[Frame], bytes]] = {}

    def join(self, frames: list[Frame]) -> bytes:
        key = tuple(map(id, frames))
        joined = self.blobs.get(key)
        if joined is None:
            blob = b"".join(f.prepared.payloadHybi for f in frames)
            self.blobs[key] = (frames, blob)
            return blob
        return joined[1]

    def write(self, transport: Any, blob: bytes) -> None:
        """Send now when nothing is queued (one ``send`` call), else queue behind what is.

        Twisted's ``write`` always defers to the reactor, which registers and
        unregisters the socket with the selector around every write: two extra
        system calls per client per burst, which dominate with 1,000 clients.
        Sending at once (rather than after the whole burst is prepared) gives
        the first clients their bytes while the rest are prepared.
        """
        sock = getattr(transport, "socket", None)
        if sock is None or transport.disconnecting or _transport_backlog(transport):
            transport.write(blob)
            return
        try:
            sent = sock.send(blob)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            transport.write(blob)  # let the transport see and report the failure
            return
        if sent < len(blob):
            transport.write(blob[sent:])


class Outlet:
    def __init__(self, send: Send, *, on_overflow: Callable[[], None]) -> None:
        self.send = send
        self.limit = send_buffer_limit()
        self.on_overflow = on_overflow
        self.protocol = _daphne_protocol(send)
        self.closed = False
        self.held: list[Frame] | None = []  # frames that came before the handshake finished
        self.held_bytes = 0
        self.queue: deque[Frame] = deque()
        self.queued = 0
        self.ready = asyncio.Event()
        self.writer: asyncio.Task[None] | None = None
        if self.protocol is None:
            self.writer = asyncio.get_running_loop().create_task(self._write())

    def push(self, frame: Frame, burst: Burst | None = None) -> None:
        """Queue ``frame`` for the client now; drop the client if its backlog is full."""
        self.push_many([frame], burst or Burst())

    def open(self) -> None:
        """The handshake is done: send what came before it, then everything as it comes.

        A connection subscribes before it accepts, so nothing published after the
        client sees the connection open is lost in between.
        """
        held, self.held = self.held, None
        if held:
            self.push_many(held, Burst())

    def push_many(self, frames: list[Frame], burst: Burst) -> None:
        """Queue ``frames`` in order, as one write when the server allows it."""
        if self.closed:
            return
        if self.held is not None:
            self.held_bytes += sum(len(f.text) for f in frames)
            if self.held_bytes > self.limit:
                self._overflow()
                return
            self.held.extend(frames)
            return
        protocol = self.protocol
        if protocol is not None:
            if protocol.state != protocol.STATE_OPEN:
                return
            transport = protocol.transport
            if _transport_backlog(transport) > self.limit:
                self._overflow()
                return
            if protocol._perMessageCompress is None and not protocol.send_queue:
                # What autobahn's sendPreparedMessage does, minus its per-call logging,
                # with the burst's frames joined once for every client that gets the same.
                burst.write(transport, burst.join(frames))
            else:
                for frame in frames:
                    protocol.sendPreparedMessage(frame.prepared)
            return
        for frame in frames:
            if self.queued + len(frame.text) > self.limit:
                self._overflow()
                return
            self.queue.append(frame)
            self.queued += len(frame.text)
        self.ready.set()

    def _overflow(self) -> None:
        logger.info("dropping a slow websocket client (backlog over %d bytes)", self.limit)
        metrics.DROPPED.inc()
        self.close()
        if self.protocol is not None:
            self.protocol.dropConnection(abort=True)
        else:
            asyncio.get_running_loop().create_task(self._close_slowly())
        self.on_overflow()

    async def _close_slowly(self) -> None:
        await self.send({"type": "websocket.close", "code": 1008})

    async def _write(self) -> None:
        while not self.closed:
            await self.ready.wait()
            self.ready.clear()
            while self.queue and not self.closed:
                frame = self.queue.popleft()
                self.queued -= len(frame.text)
                await self.send(frame.message)

    def close(self) -> None:
        self.closed = True
        self.queue.clear()
        self.ready.set()
        if self.writer is not None and self.writer is not asyncio.current_task():
            self.writer.cancel()
        self.writer = None
