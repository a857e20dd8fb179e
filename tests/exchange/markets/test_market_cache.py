"""Order entry's market cache: no query once read, a change seen by the next order.

The same across real processes: tests/api/test_cache_invalidation_across_workers.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.audit.actions import Operator
from exchange.markets.actions import do_change_market, do_create_market
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import Market
from exchange.markets.selectors import get_market_cached
from exchange.orders.requests import OrderRequest

pytestmark = pytest.mark.django_db


def test_a_used_market_is_read_without_a_query(btcusdt, redis_client, django_assert_num_queries):
    # given a market read once (from the database)
    with django_assert_num_queries(1):
        assert get_market_cached("btcusdt") == btcusdt

    # then the next read costs no query and carries the filters and both assets
    with django_assert_num_queries(0):
        market = get_market_cached("BTCUSDT")
        assert (market.min_notional, market.base.code, market.quote.code) == (5, "BTC", "USDT")


def test_a_changed_filter_is_checked_on_the_next_order(btcusdt, redis_client):
    # given an order of 10 USDT taken while the market is cached
    OrderRequest.parse(symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.1")
    Market.objects.filter(pk=btcusdt.pk).update(min_notional=Decimal(1000))  # unseen: no action
    OrderRequest.parse(symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.1")

    # when the operator raises the minimum notional through the action
    do_change_market(symbol="BTCUSDT", operator=Operator(), min_notional=Decimal(50))

    # then the next order is checked against it
    with pytest.raises(MarketError) as refused:
        OrderRequest.parse(symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.1")
    assert refused.value.code == MarketErrorCode.NOTIONAL_TOO_SMALL
    OrderRequest.parse(symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.6")


def test_a_market_created_after_a_miss_is_found_at_once(assets, redis_client):
    # given an order for a market that does not exist yet
    with pytest.raises(MarketError) as unknown:
        get_market_cached("ETHUSDT")
    assert unknown.value.code == MarketErrorCode.UNKNOWN_SYMBOL

    # when it is created
    do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal(1000),
    )

    # then it is found
    assert get_market_cached("ETHUSDT").symbol == "ETHUSDT"
