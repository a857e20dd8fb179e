"""POST /api/v1/orders/countdown-cancel-all: the native dead-man's switch."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exchange.orders.models import CancelCountdown


@pytest.fixture
def trader(make_user, btcusdt):
    return make_user()


def test_rest_endpoint_sets_the_countdown(trader, client_for):
    client = client_for(trader)
    answer = client.post(
        "/api/v1/orders/countdown-cancel-all",
        {"symbol": "BTCUSDT", "countdown_ms": 10000},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["countdown_ms"] == 10000
    assert CancelCountdown.objects.get(user=trader).deadline > timezone.now()
    bad = client.post(
        "/api/v1/orders/countdown-cancel-all",
        {"symbol": "BTCUSDT", "countdown_ms": -5},
        format="json",
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_COUNTDOWN")
