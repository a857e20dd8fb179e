"""/graphql rate limits per IP, user and API key: 429 with Retry-After, nothing executed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from exchange.orders.models import Order
from tests.api.conftest import RATE_WINDOW_SECONDS
from tests.api.graphql.conftest import URL

pytestmark = pytest.mark.usefixtures("fresh_rate_window")

LIMITS = {"window_seconds": RATE_WINDOW_SECONDS, "ip": 1000, "user": 1000, "api_key": 1000}
ME = json.dumps({"query": "{ me { email } }"})
PLACE = (
    'mutation { placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, price: "100",'
    ' quantity: "0.1") { errors { code } } }'
)


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}


def test_per_ip(settings, anonymous, redis_client, db):
    settings.GRAPHQL_RATE_LIMITS = {**LIMITS, "ip": 2}
    assert [anonymous.post("{ markets { symbol } }").status_code for _ in range(2)] == [200, 200]
    assert_limited(anonymous.post("{ markets { symbol } }"))


def test_per_ip_counts_requests_with_bad_credentials(settings, redis_client, db):
    settings.GRAPHQL_RATE_LIMITS = {**LIMITS, "ip": 2}
    client = Client()
    statuses = [
        client.post(URL, ME, content_type="application/json", HTTP_AUTHORIZATION="Token bad")
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    assert_limited(statuses[2])


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def test_per_user_and_nothing_runs_when_limited(settings, as_user, trader, redis_client):
    settings.GRAPHQL_RATE_LIMITS = {**LIMITS, "user": 1}
    client = as_user(trader)
    assert client(PLACE) == {"data": {"placeOrder": {"errors": []}}}
    assert_limited(client.post(PLACE))
    assert Order.objects.count() == 1


def test_per_api_key(settings, as_key, trader, redis_client):
    settings.GRAPHQL_RATE_LIMITS = {**LIMITS, "api_key": 1}
    key = as_key(trader, ["read"])
    assert key.post("{ me { email } }").status_code == 200
    assert_limited(key.post("{ me { email } }"))
