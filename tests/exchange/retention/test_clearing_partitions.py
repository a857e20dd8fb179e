"""Clearing writes trades, income and klines into this month's partition (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from exchange.marketdata.models import Kline
from exchange.orders.actions import place_order
from exchange.orders.models import Trade
from exchange.orders.requests import OrderRequest
from exchange.retention.months import Month
from tests.exchange.marketdata.test_feed import feed_until_caught_up
from tests.exchange.retention.history import partition_of
from tests.pipeline import drain, running_engine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]


def test_spot_clearing_and_market_data_write_into_this_months_partition(
    redis_client, make_user, assets, fund, btcusdt
):
    # given a buyer and a seller
    buyer, seller = make_user(), make_user()
    fund(buyer, assets["USDT"], "100000")
    fund(seller, assets["BTC"], "10")
    with running_engine(["BTCUSDT"]):
        # when their orders cross, are cleared and followed by market data
        for user, side in ((seller, "SELL"), (buyer, "BUY")) * 3:
            request = OrderRequest.parse(
                symbol="BTCUSDT", side=side, type="LIMIT", price="1000", quantity="0.5"
            )
            place_order(user=user, request=request)
        drain("BTCUSDT")
        feed_until_caught_up(btcusdt)
    # then the trades and klines are in this month's partitions, none in the default
    month = Month.of(timezone.now()).suffix
    assert Trade.objects.count() == 3
    assert partition_of("orders_trade", "true", []) == [f"orders_trade_{month}"]
    assert Kline.objects.exists()
    assert partition_of("marketdata_kline", "true", []) == [f"marketdata_kline_{month}"]
