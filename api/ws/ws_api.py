"""Binance's WebSocket API (``/ws-api/v3``): the user-data methods bots use.

``userDataStream.subscribe.signature`` takes ``apiKey``, ``timestamp``,
optional ``recvWindow`` and ``signature``: the signed payload is the other
params sorted by key as ``k=v&...``, verified by the same code as signed REST
requests (``exchange.accounts.signing``). Answers are ``{"id", "status",
"result"}`` or ``{"id", "status", "error": {"code", "msg"}}``; events arrive
as ``{"subscriptionId", "event"}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from api.compat.binance.errors import from_domain
from api.json_input import JsonInputError, loads_bounded
from api.refusals import WEBSOCKET, count_refusal
from api.ws.consumers import HubConsumer, UserStream
from api.ws.user_data import binance_events
from exchange.accounts.errors import ApiKeyError
from exchange.accounts.models import ApiKey
from exchange.accounts.signing import SignedRequest, verify_signed_request
from exchange.core.user_channel import user_events_channel

BAD_REQUEST, UNKNOWN_METHOD = -1102, -1100
INPUT_CODES = frozenset({BAD_REQUEST, UNKNOWN_METHOD})
MAX_FRAME_BYTES = 64 * 1024
MAX_ID_CHARS = 36


class WsApiError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400, reason: str | None = None) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status
        # The ``/metrics`` label of a malformed request; empty: not an input refusal.
        self.reason = str(code) if reason is None and code in INPUT_CODES else reason or ""


def signed_payload(params: dict[str, Any]) -> str:
    """What the client signed: every param but ``signature``, sorted by key."""
    return "&".join(f"{k}={_text(v)}" for k, v in sorted(params.items()) if k != "signature")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _valid_id(value: object) -> bool:
    """Binance's request ids: an integer or a string of at most 36 characters (a float,
    ``1e309`` among them, would be echoed as ``Infinity``, which is not JSON)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and len(value) <= MAX_ID_CHARS


def _client_ip(scope: dict[str, Any]) -> str:
    proxies = getattr(settings, "NUM_PROXIES", 0)
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    client = scope.get("client") or ("", 0)
    return str(client[0])


def _verify(params: dict[str, Any], client_ip: str) -> ApiKey:
    signature = params.get("signature")
    query = signed_payload(params)
    if signature is not None:
        query += f"&signature={_text(signature)}"
    request = SignedRequest(
        api_key=str(params.get("apiKey", "")), query_string=query, body="", client_ip=client_ip
    )
    return verify_signed_request(request, now_ms=int(time.time() * 1000))


class WsApiConsumer(HubConsumer):
    async def connect(self) -> None:
        self.subscriptions: dict[int, tuple[str, UserStream]] = {}
        self.next_subscription = 0
        await self.accept()
        self.outlet.open()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        request_id: Any = None
        try:
            try:
                request = loads_bounded(
                    text_data if text_data is not None else (bytes_data or b""),
                    max_bytes=MAX_FRAME_BYTES,
                )
            except JsonInputError as exc:
                message = f"Malformed JSON request: {exc}"
                raise WsApiError(BAD_REQUEST, message, reason=exc.reason) from None
            if not isinstance(request, dict):
                raise WsApiError(BAD_REQUEST, "A request must be a JSON object.")
            request_id = request.get("id")
            if request_id is not None and not _valid_id(request_id):
                request_id = None
                raise WsApiError(BAD_REQUEST, "id must be an integer, a string or null.")
            params = request.get("params") or {}
            if not isinstance(params, dict):
                raise WsApiError(BAD_REQUEST, "params must be an object.")
            result = await self.handle(str(request.get("method")), params)
        except WsApiError as err:
            if err.reason:
                count_refusal(WEBSOCKET, err.reason)
            await self.send_json(
                {
                    "id": request_id,
                    "status": err.status,
                    "error": {"code": err.code, "msg": err.msg},
                }
            )
            return
        await self.send_json({"id": request_id, "status": 200, "result": result})

    async def handle(self, method: str, params: dict[str, Any]) -> object:
        if method == "ping":
            return {}
        if method == "time":
            return {"serverTime": int(time.time() * 1000)}
        if method == "userDataStream.subscribe.signature":
            return {"subscriptionId": await self.subscribe(params)}
        if method == "userDataStream.unsubscribe":
            await self.unsubscribe(params.get("subscriptionId"))
            return {}
        raise WsApiError(UNKNOWN_METHOD, f"Unknown method {method!r}.")

    async def subscribe(self, params: dict[str, Any]) -> int:
        for name in ("apiKey", "timestamp", "signature"):
            if params.get(name) in (None, ""):
                raise WsApiError(
                    BAD_REQUEST, f"Mandatory parameter '{name}' was not sent, was empty/null."
                )
        try:
            api_key = await database_sync_to_async(_verify)(params, _client_ip(self.scope))
        except ApiKeyError as err:
            binance = from_domain(err)  # Binance's code, text and status, as on /api/v3
            raise WsApiError(binance.code, binance.msg, binance.status) from None
        subscription = self.next_subscription
        self.next_subscription += 1

        def wrap(event: dict[str, Any]) -> str:
            return json.dumps(
                {"subscriptionId": subscription, "event": event}, separators=(",", ":")
            )

        stream = UserStream(self.outlet, wrap, binance_events)
        channel = user_events_channel(api_key.user_id)
        self.subscriptions[subscription] = (channel, stream)
        await self.register(channel, str(subscription), stream)
        return subscription

    async def unsubscribe(self, subscription_id: object) -> None:
        chosen = (
            list(self.subscriptions)
            if subscription_id is None
            else [subscription_id]
            if isinstance(subscription_id, int) and subscription_id in self.subscriptions
            else []
        )
        if not chosen:
            raise WsApiError(BAD_REQUEST, "No such subscription.")
        for sid in chosen:
            channel, stream = self.subscriptions.pop(sid)
            await self.unregister(channel, str(sid), stream)
