"""WebSocket (/ws streams and /ws-api/v3): every bad frame answered with the endpoint's
error code on a connection that stays open (never closed 1011), and nothing changed."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from api.ws.routing import websocket_application
from api.ws.ws_api import signed_payload
from exchange.accounts.actions import do_create_api_key
from exchange.accounts.requests import ApiKeyRequest
from tests.api.boundary.bad_input import DEEP_ARRAY, DEEP_OBJECT
from tests.api.rest.conftest import rows_snapshot

INVALID_REQUEST, INVALID_JSON = 2, 3
OVERSIZED = '{"method": "LIST_SUBSCRIPTIONS", "id": "' + "x" * 70_000 + '"}'
# (frame, the stream endpoint's code)
STREAM_FRAMES: list[tuple[str | bytes, int]] = [
    (DEEP_ARRAY, INVALID_JSON),
    (DEEP_OBJECT, INVALID_JSON),
    ('{"method": "SUBSCRIBE", "params": ' + DEEP_ARRAY + ', "id": 1}', INVALID_JSON),
    ('{"method": "LIST_SUBSCRIPTIONS", "id": NaN}', INVALID_JSON),
    ('{"method": "LIST_SUBSCRIPTIONS", "id": 1e309}', INVALID_REQUEST),
    ('{"method": "LIST_SUBSCRIPTIONS", "id": ' + "9" * 5000 + "}", INVALID_JSON),
    ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade\\u0000"], "id": 1}', INVALID_JSON),
    ('{"method": "SUBSCRIBE", "params": [1e309], "id": 1}', INVALID_REQUEST),
    ('{"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 1}', INVALID_REQUEST),
    (OVERSIZED, INVALID_JSON),
    (b'{"method": "\xff"}', INVALID_JSON),
]
BAD_REQUEST, BAD_WINDOW = -1102, -1131
# (frame, ws-api's code)
WS_API_FRAMES: list[tuple[str | bytes, int]] = [
    (DEEP_ARRAY, BAD_REQUEST),
    ('{"id": 1, "method": "ping", "params": ' + DEEP_OBJECT + "}", BAD_REQUEST),
    ('{"id": NaN, "method": "ping"}', BAD_REQUEST),
    ('{"id": 1e309, "method": "ping"}', BAD_REQUEST),
    ('{"id": [1], "method": "ping"}', BAD_REQUEST),
    (
        '{"id": 1, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": [1]}}',
        BAD_REQUEST,
    ),
    (
        '{"id": 1, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 1e309}}',
        BAD_REQUEST,
    ),
    ('{"id": 1, "method": "ping", "params": {"a": "\\u0000"}}', BAD_REQUEST),
    (OVERSIZED, BAD_REQUEST),
    (b'{"id": "\xff"}', BAD_REQUEST),
]
# Signed subscribe params made bad (each correctly signed): (params, ws-api's code)
BAD_SIGNED: list[tuple[dict[str, Any], int]] = [
    ({"timestamp": "1E+12"}, BAD_REQUEST),
    ({"timestamp": "١٧٠٠٠٠٠٠٠٠٠٠٠"}, BAD_REQUEST),
    ({"timestamp": 1e309}, BAD_REQUEST),
    ({"timestamp": " 1"}, BAD_REQUEST),
    ({"recvWindow": "1e4"}, BAD_WINDOW),
    ({"recvWindow": "５０００"}, BAD_WINDOW),
]


async def exchange_frames(path: str, frames: list[str | bytes]) -> tuple[list[Any], Any]:
    """Send each frame and read its answer; then one good request, to show the
    connection is still open. Returns (answers, the good request's answer)."""
    communicator = WebsocketCommunicator(websocket_application, path)
    connected, _ = await communicator.connect()
    assert connected
    answers = []
    for frame in frames:
        if isinstance(frame, bytes):
            await communicator.send_to(bytes_data=frame)
        else:
            await communicator.send_to(text_data=frame)
        answers.append(json.loads(await communicator.receive_from(timeout=10)))
    good = (
        {"method": "LIST_SUBSCRIPTIONS", "id": 7} if path == "/ws" else {"id": 7, "method": "ping"}
    )
    await communicator.send_json_to(good)
    last = await communicator.receive_json_from(timeout=10)
    await communicator.disconnect()
    return answers, last


def signed_subscribe(key: str, secret: str, **bad: Any) -> str:
    params: dict[str, Any] = {"apiKey": key, "timestamp": int(time.time() * 1000), **bad}
    digest = hmac.new(secret.encode(), signed_payload(params).encode(), hashlib.sha256)
    params["signature"] = digest.hexdigest()
    return json.dumps({"id": 1, "method": "userDataStream.subscribe.signature", "params": params})


@pytest.mark.django_db(transaction=True)
def test_bad_stream_frames_are_answered_and_the_connection_stays_open(trader):
    before = rows_snapshot()
    answers, last = async_to_sync(exchange_frames)("/ws", [f for f, _ in STREAM_FRAMES])
    assert [a["error"]["code"] for a in answers] == [code for _, code in STREAM_FRAMES]
    assert last == {"result": [], "id": 7}
    assert rows_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_bad_ws_api_frames_are_answered_and_the_connection_stays_open(trader):
    before = rows_snapshot()
    answers, last = async_to_sync(exchange_frames)("/ws-api/v3", [f for f, _ in WS_API_FRAMES])
    assert [(a["status"], a["error"]["code"]) for a in answers] == [
        (400, code) for _, code in WS_API_FRAMES
    ]
    assert last == {"id": 7, "status": 200, "result": {}}
    assert rows_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_bad_signed_parameters_are_refused_with_their_codes(trader):
    created = do_create_api_key(
        user=trader, request=ApiKeyRequest.parse(label="ws", permissions=["read"])
    )
    assert created.secret is not None
    key, secret = created.api_key.key, created.secret
    # the control: the same request with good values subscribes
    frames = [signed_subscribe(key, secret)] + [
        signed_subscribe(key, secret, **bad) for bad, _ in BAD_SIGNED
    ]
    answers, _ = async_to_sync(exchange_frames)("/ws-api/v3", frames)
    assert answers[0]["status"] == 200, answers[0]
    assert [a.get("error", {}).get("code") for a in answers[1:]] == [c for _, c in BAD_SIGNED]
