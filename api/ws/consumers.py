"""Binance-compatible market and user-data streams (``/ws``, ``/ws/<n>``, ``/ws/<stream>``,
``/ws/<listenKey>``, ``/stream?streams=a/b``). A listen key is a stream name like any
other: in the URL or in a SUBSCRIBE (as python-binance-futures' ``binance_f`` and the
futures quant system in the references subscribe to it on a bare ``/ws``).

The consumer parses, checks and answers the client's requests; the frames
themselves come from the process's hub (``hub.py``) and leave through the
connection's outlet (``outlet.py``), which drops a client whose backlog
passes its bound. The consumer uses no channel layer: market data arrives
on the hub's pub/sub channels (``docs/adr/0007-websocket-fan-out.md``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from api.compat.binance_futures.user_events import futures_events
from api.json_input import JsonInputError, loads_bounded
from api.refusals import WEBSOCKET, count_refusal
from api.ws import metrics
from api.ws.frames import Frame
from api.ws.futures_stream_names import source_for as futures_source_for
from api.ws.hub import Render, get_hub
from api.ws.outlet import Burst, Outlet
from api.ws.stream_names import Source, source_for
from api.ws.user_data import binance_events
from exchange.accounts.listen_keys import user_for_listen_key
from exchange.core.user_channel import user_events_channel
from exchange.events.futures import futures_events_channel

# Binance's error codes on the stream endpoints, and their names on ``/metrics``.
UNKNOWN_PROPERTY, INVALID_VALUE, INVALID_REQUEST, INVALID_JSON = 0, 1, 2, 3
REASONS = {0: "UNKNOWN_PROPERTY", 1: "INVALID_VALUE", 2: "INVALID_REQUEST"}
# A client's request frame: a SUBSCRIBE of the most streams allowed fits many times over.
MAX_FRAME_BYTES = 64 * 1024


def max_streams() -> int:
    return int(settings.WS_MAX_STREAMS)


class RequestError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


# A user channel message's text -> the Binance events it becomes.
UserEvents = Callable[[str], list[dict[str, Any]]]


class UserStream:
    """One user's private events on one connection, shaped by ``wrap``."""

    combined = False

    def __init__(
        self, outlet: Outlet, wrap: Callable[[dict[str, Any]], str], events: UserEvents
    ) -> None:
        self.outlet = outlet
        self.wrap = wrap
        self.events = events

    def deliver(self, frames: list[Frame], burst: Burst) -> None:
        for frame in frames:
            for event in self.events(frame.text):
                self.outlet.push(Frame(self.wrap(event)), burst)


class HubConsumer(AsyncWebsocketConsumer):
    """A connection that takes frames from the hub: registration and cleanup."""

    channel_layer_alias = "__no_channel_layer__"  # nothing here uses the channel layer

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.outlet = Outlet(self.base_send, on_overflow=self._on_overflow)
        self.registered: list[tuple[str, str, Any, Render | None]] = []
        self.tasks: list[asyncio.Task[None]] = []
        metrics.CONNECTIONS.labels(metrics.STREAMS).inc()
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        metrics.CONNECTIONS.labels(metrics.STREAMS).dec()
        await super().websocket_disconnect(message)

    def _on_overflow(self) -> None:
        asyncio.get_running_loop().create_task(self._unregister_all())

    async def register(
        self, channel: str, label: str, listener: Any, render: Render | None = None
    ) -> None:
        self.registered.append((channel, label, listener, render))
        await get_hub().add(channel, label, listener, render)

    async def unregister(
        self, channel: str, label: str, listener: Any, render: Render | None = None
    ) -> None:
        self.registered.remove((channel, label, listener, render))
        await get_hub().remove(channel, label, listener, render)

    async def _unregister_all(self) -> None:
        registered, self.registered = self.registered, []
        for channel, label, listener, render in registered:
            await get_hub().remove(channel, label, listener, render)

    async def disconnect(self, code: int) -> None:
        self.outlet.close()
        for task in self.tasks:
            task.cancel()
        await self._unregister_all()

    async def send_json(self, value: object) -> None:
        if not self.outlet.closed:
            await self.send(text_data=json.dumps(value, separators=(",", ":")))

    async def watch_listen_key(self, listen_key: str, stop: Callable[[], Any]) -> None:
        """End the user stream (with Binance's ``listenKeyExpired``) once the key is gone."""
        interval = float(settings.WS_LISTEN_KEY_CHECK_S)
        while True:
            await asyncio.sleep(interval)
            if await database_sync_to_async(user_for_listen_key)(listen_key) is None:
                await stop()
                return


class StreamConsumer(HubConsumer):
    """Market streams (raw on ``/ws``, wrapped on ``/stream``) and listenKey user data.

    Spot's by default; ``FuturesStreamConsumer`` swaps in the futures names, the
    futures user channel and its events.
    """

    find_source: Callable[[str], Awaitable[Source | None]] = staticmethod(source_for)
    user_channel: Callable[[int], str] = staticmethod(user_events_channel)
    user_events: UserEvents = staticmethod(binance_events)

    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        self.combined = bool(route.get("combined"))
        self.streams: dict[str, Source] = {}  # stream name -> (channel, renderer)
        # listen key -> its user channel registration and its expiry watch
        self.user_streams: dict[str, tuple[tuple[str, str, Any, None], asyncio.Task[None]]] = {}
        names: list[str] = []
        if route.get("name") and not route["name"].isdigit():
            names.append(route["name"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        for value in query.get("streams", []):
            names += [n for n in value.split("/") if n]
        names += query.get("listenKey", [])  # Binance's ``/private/ws?listenKey=``
        keys: list[tuple[str, int]] = []  # (listen key, user id)
        for name in names[: max_streams()]:
            source = await self.find_source(name)
            if source is not None:
                self.streams[name] = source
                continue
            user = await database_sync_to_async(user_for_listen_key)(name)
            if user is None:
                await self.close(code=4400)  # the handshake is refused: unknown stream
                return
            keys.append((name, user.pk))
        for name, (channel, render) in self.streams.items():
            await self.register(channel, name, self, render)
        for listen_key, user_id in keys:
            await self._open_user_stream(listen_key, user_id)
        if self.outlet.closed:  # dropped for a backlog before the handshake finished
            return
        await self.accept()
        self.outlet.open()

    def deliver(self, frames: list[Frame], burst: Burst) -> None:
        self.outlet.push_many(frames, burst)

    async def _open_user_stream(self, listen_key: str, user_id: int) -> None:
        combined = self.combined

        def wrap(event: dict[str, Any]) -> str:
            payload = {"stream": listen_key, "data": event} if combined else event
            return json.dumps(payload, separators=(",", ":"))

        stream = UserStream(self.outlet, wrap, self.user_events)
        registration: tuple[str, str, Any, None] = (
            self.user_channel(user_id),
            listen_key,
            stream,
            None,
        )
        await self.register(*registration)

        async def expire() -> None:
            event = {"e": "listenKeyExpired", "E": _now_ms(), "listenKey": listen_key}
            await self.send(text_data=wrap(event))
            self.user_streams.pop(listen_key, None)
            if registration in self.registered:
                await self.unregister(*registration)

        watch = asyncio.get_running_loop().create_task(self.watch_listen_key(listen_key, expire))
        self.tasks.append(watch)
        self.user_streams[listen_key] = (registration, watch)

    async def _close_user_stream(self, listen_key: str) -> None:
        registration, watch = self.user_streams.pop(listen_key)
        watch.cancel()
        self.tasks.remove(watch)
        if registration in self.registered:  # not once a backlog dropped the client
            await self.unregister(*registration)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        request_id: Any = None
        try:
            try:
                request = loads_bounded(
                    text_data if text_data is not None else (bytes_data or b""),
                    max_bytes=MAX_FRAME_BYTES,
                )
            except JsonInputError as exc:
                count_refusal(WEBSOCKET, exc.reason)
                raise RequestError(INVALID_JSON, str(exc)) from None
            if not isinstance(request, dict):
                raise RequestError(INVALID_REQUEST, "Invalid request: expected an object")
            request_id = request.get("id")
            if request_id is not None and (
                isinstance(request_id, bool)
                or not isinstance(request_id, int | str)
                or (isinstance(request_id, int) and request_id < 0)
            ):
                request_id = None
                raise RequestError(
                    INVALID_REQUEST, "Invalid request: request ID must be an unsigned integer"
                )
            result = await self.handle(request.get("method"), request.get("params"))
        except RequestError as err:
            if err.code in REASONS:
                count_refusal(WEBSOCKET, REASONS[err.code])
            await self.send_json({"error": {"code": err.code, "msg": err.msg}, "id": request_id})
            return
        await self.send_json({"result": result, "id": request_id})

    async def handle(self, method: object, params: object) -> object:
        if method == "SUBSCRIBE":
            await self.subscribe(_names(params))
            return None
        if method == "UNSUBSCRIBE":
            await self.unsubscribe(_names(params))
            return None
        if method == "LIST_SUBSCRIPTIONS":
            return [*self.streams, *self.user_streams]
        if method == "SET_PROPERTY":
            if not isinstance(params, list) or len(params) != 2 or params[0] != "combined":
                raise RequestError(UNKNOWN_PROPERTY, "Unknown property")
            if not isinstance(params[1], bool):
                raise RequestError(INVALID_VALUE, "Invalid value type: expected Boolean")
            self.combined = params[1]
            return None
        if method == "GET_PROPERTY":
            if params != ["combined"]:
                raise RequestError(UNKNOWN_PROPERTY, "Unknown property")
            return self.combined
        raise RequestError(
            INVALID_REQUEST,
            f"Invalid request: unknown method {method!r}, expected one of SUBSCRIBE, "
            "UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY",
        )

    async def subscribe(self, names: list[str]) -> None:
        fresh: dict[str, Source] = {}
        fresh_users: dict[str, int] = {}  # listen key -> user id
        for name in names:
            if name in self.streams or name in fresh:
                continue
            if name in self.user_streams or name in fresh_users:
                continue
            source = await self.find_source(name)
            if source is not None:
                fresh[name] = source
                continue
            user = await database_sync_to_async(user_for_listen_key)(name)
            if user is None:
                raise RequestError(INVALID_REQUEST, f"Invalid request: unknown stream {name!r}")
            fresh_users[name] = user.pk
        subscribed = len(self.streams) + len(self.user_streams)
        if subscribed + len(fresh) + len(fresh_users) > max_streams():
            raise RequestError(
                INVALID_REQUEST,
                f"Invalid request: at most {max_streams()} streams per connection",
            )
        for name, (channel, render) in fresh.items():
            self.streams[name] = (channel, render)
            await self.register(channel, name, self, render)
        for listen_key, user_id in fresh_users.items():
            await self._open_user_stream(listen_key, user_id)

    async def unsubscribe(self, names: list[str]) -> None:
        for name in names:
            if name in self.user_streams:
                await self._close_user_stream(name)
                continue
            source = self.streams.pop(name, None)
            if source is not None:
                await self.unregister(source[0], name, self, source[1])


class FuturesStreamConsumer(StreamConsumer):
    """Binance USDⓈ-M streams on the futures base (``/fstream/...``): contracts' market
    streams and the listen key's futures user data."""

    find_source = staticmethod(futures_source_for)
    user_channel = staticmethod(futures_events_channel)
    user_events = staticmethod(futures_events)


def _names(params: object) -> list[str]:
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise RequestError(
            INVALID_REQUEST, "Invalid request: params must be a list of stream names"
        )
    return list(params)


def _now_ms() -> int:
    return int(time.time() * 1000)
