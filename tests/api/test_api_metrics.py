"""The web process's own figures on /metrics: open WebSocket connections per endpoint,
and requests refused by a rate limit per surface and limit (issue 20, ADR 0045)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from api.ws.routing import websocket_application


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db(transaction=True)
def test_open_websockets_are_counted_while_they_are_open(redis_client):
    connections = "exchange_websocket_connections"

    async def open_then_close() -> tuple[float, float]:
        before = sample(connections, endpoint="streams")
        communicator = WebsocketCommunicator(websocket_application, "/ws")
        connected, _ = await communicator.connect()
        assert connected
        during = sample(connections, endpoint="streams")
        await communicator.disconnect()
        return during - before, sample(connections, endpoint="streams") - before

    # when a client connects, then leaves
    while_open, after = async_to_sync(open_then_close)()
    # then it was counted while open, and not after
    assert (while_open, after) == (1, 0)


@pytest.mark.usefixtures("fresh_rate_window")
def test_a_request_over_a_rate_limit_is_counted(redis_client, settings, db):
    # given a per-IP limit of one request
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ip": 1}
    before = sample("exchange_rate_limited_total", surface="rest", scope="ip")
    client = APIClient()
    # when the second request comes in the same window
    assert client.get("/api/v1/markets").status_code == 200
    assert client.get("/api/v1/markets").status_code == 429
    # then it is counted against the REST surface's IP limit
    assert sample("exchange_rate_limited_total", surface="rest", scope="ip") == before + 1
