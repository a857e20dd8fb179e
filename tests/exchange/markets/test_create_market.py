"""Creating a market: on a sharded deployment, a market no shard runs is created halted."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from exchange.core.errors import DomainError
from exchange.markets.actions import do_create_market
from exchange.markets.models import Market, MarketStatus
from exchange.orders.actions import place_order
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest


def create(assets, symbol: str | None = None) -> Market:
    return do_create_market(
        base=assets["ETH"],
        quote=assets["USDT"],
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        min_qty=Decimal("0.001"),
        max_qty=Decimal("1000"),
        symbol=symbol,
    )


def test_unsharded_deployment_creates_a_trading_market(settings, assets, redis_client):
    settings.ENGINE_SHARDS = ""
    assert create(assets).status == MarketStatus.TRADING


def test_market_listed_by_a_shard_is_created_trading(settings, assets, redis_client):
    settings.ENGINE_SHARDS = "engine-0=BTCUSDT;engine-1=ethusdt"
    assert create(assets).status == MarketStatus.TRADING


@pytest.mark.parametrize("shards", ["engine-0=BTCUSDT", "engine-0=BTCUSDT;engine-0=ETHUSDT"])
def test_market_no_shard_runs_is_created_halted_and_refuses_orders(
    settings, assets, redis_client, make_user, fund, caplog, shards
):
    # given a sharded deployment whose map (valid or not) gives ETHUSDT to no shard
    settings.ENGINE_SHARDS = shards
    trader = make_user()
    fund(trader, assets["USDT"], "1000")
    # when the operator creates ETHUSDT
    with caplog.at_level(logging.WARNING, logger="exchange.markets.actions"):
        market = create(assets)
    # then it is halted, says why, and takes no order that nothing would match
    assert Market.objects.get(pk=market.pk).status == MarketStatus.HALT
    assert "ETHUSDT created HALTED: ENGINE_SHARDS lists it in no shard" in caplog.text
    with pytest.raises(DomainError) as excinfo:
        place_order(
            user=trader,
            request=OrderRequest.parse(
                symbol="ETHUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
            ),
        )
    assert excinfo.value.code == "MARKET_NOT_TRADING"
    assert Order.objects.count() == 0
