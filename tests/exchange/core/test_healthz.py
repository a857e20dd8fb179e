"""GET /healthz: 200 with both dependencies up, 503 naming the one that is down."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client

from exchange.core.redis import get_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()


def test_healthy(client, redis_client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_redis_down(client, settings):
    # given Redis at an address where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    get_redis.cache_clear()
    try:
        response = client.get("/healthz")
    finally:
        get_redis.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_database_down(client, monkeypatch):
    # given the database refuses queries (failure injected at the cursor)
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "OperationalError"}
