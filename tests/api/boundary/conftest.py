"""A funded trader and the row snapshot every refusal must leave unchanged."""

from __future__ import annotations

import pytest

from exchange.accounts.models import User


@pytest.fixture
def trader(make_user, assets, fund, btcusdt, redis_client, settings) -> User:
    """A user holding USDT and BTC in BTCUSDT's market (generous rate limits: tables are long)."""
    many = {"ip": 10**9, "user": 10**9, "api_key": 10**9}
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **many}
    settings.GRAPHQL_RATE_LIMITS = {**settings.GRAPHQL_RATE_LIMITS, **many}
    settings.BINANCE_WEIGHT_LIMIT_1M = 10**9
    settings.BINANCE_ORDER_WAIT_SECONDS = 0  # no engine runs here: answer at once
    user = make_user()
    fund(user, assets["USDT"], "100000")
    fund(user, assets["BTC"], "10")
    return user
