"""Queries `markets` and `market(symbol)` with ticker, depth, trades and klines."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import redis
from django.conf import settings

from exchange.marketdata.runner import MarketDataFeed
from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.models import MarketStatus
from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from matching_client import output_stream
from tests.api.graphql.conftest import error_codes
from tests.pipeline import drain, running_engine

MARKET_DATA = """
query ($symbol: String!) {
  market(symbol: $symbol) {
    symbol
    ticker { lastPrice lastQty volume quoteVolume highPrice lowPrice count bidPrice askPrice }
    depth(limit: 5) { lastUpdateId bids { price quantity } asks { price quantity } }
    trades(limit: 10) { price quantity quoteQuantity isBuyerMaker }
    klines(interval: "1m") { open high low close volume quoteVolume trades }
  }
}
"""


def test_markets_lists_every_market_with_its_filters(anonymous, btcusdt):
    # when an anonymous caller lists the markets
    answer = anonymous(
        "{ markets { symbol baseAsset quoteAsset status tickSize stepSize minQty maxQty"
        " minNotional maxNotional makerFee takerFee } }"
    )
    # then the market's rules come back exactly
    assert answer == {
        "data": {
            "markets": [
                {
                    "symbol": "BTCUSDT",
                    "baseAsset": "BTC",
                    "quoteAsset": "USDT",
                    "status": "TRADING",
                    "tickSize": "0.01",
                    "stepSize": "0.00001",
                    "minQty": "0.00001",
                    "maxQty": "9000",
                    "minNotional": "5",
                    "maxNotional": None,
                    "makerFee": "0.001",
                    "takerFee": "0.002",
                }
            ]
        }
    }


def test_market_shows_its_status_and_unknown_symbols_are_null(anonymous, btcusdt):
    do_set_market_status(symbol="BTCUSDT", status=MarketStatus.HALT)
    answer = anonymous(
        '{ a: market(symbol: "btcusdt") { status } b: market(symbol: "NOPE") { status } }'
    )
    assert answer == {"data": {"a": {"status": "HALT"}, "b": None}}


def test_market_without_trades_has_no_ticker_and_an_empty_book(anonymous, btcusdt, redis_client):
    answer = anonymous(MARKET_DATA, {"symbol": "BTCUSDT"})
    assert answer == {
        "data": {
            "market": {
                "symbol": "BTCUSDT",
                "ticker": None,
                "depth": {"lastUpdateId": 0, "bids": [], "asks": []},
                "trades": [],
                "klines": [],
            }
        }
    }


def test_bad_kline_interval_is_an_error_with_its_code(anonymous, btcusdt):
    answer = anonymous('{ market(symbol: "BTCUSDT") { klines(interval: "7m") { open } } }')
    assert error_codes(answer) == ["INVALID_INTERVAL"]
    assert answer["data"] == {"market": None}


def feed_until_caught_up(market) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    feed = MarketDataFeed(market, block_ms=10)
    newest = client.xrevrange(output_stream(market.symbol), count=1)[0][0]
    deadline = time.monotonic() + 20
    while feed.state.last_entry_id.encode() != newest:
        feed.step()
        assert time.monotonic() < deadline


@pytest.mark.django_db(transaction=True)
def test_market_data_after_a_trade(anonymous, redis_client, make_user, assets, fund, btcusdt):
    # given a resting ask, a resting bid and one trade, matched, cleared and published
    maker, taker = make_user(), make_user()
    fund(maker, assets["BTC"], "1")
    fund(taker, assets["USDT"], "10000")
    with running_engine(["BTCUSDT"]):
        place_order(
            user=maker,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="1000", quantity="0.5"
            ),
        )
        place_order(
            user=maker,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="1010", quantity="0.1"
            ),
        )
        place_order(
            user=taker,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="1000", quantity="0.2"
            ),
        )
        place_order(
            user=taker,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="990", quantity="0.03"
            ),
        )
        drain("BTCUSDT")
    feed_until_caught_up(btcusdt)
    # when
    answer = anonymous(MARKET_DATA, {"symbol": "BTCUSDT"})
    # then
    market = answer["data"]["market"]
    assert market["ticker"] == {
        "lastPrice": "1000",
        "lastQty": "0.2",
        "volume": "0.2",
        "quoteVolume": "200",
        "highPrice": "1000",
        "lowPrice": "1000",
        "count": 1,
        "bidPrice": "990",
        "askPrice": "1000",
    }
    assert market["depth"]["bids"] == [{"price": "990", "quantity": "0.03"}]
    assert market["depth"]["asks"] == [
        {"price": "1000", "quantity": "0.3"},
        {"price": "1010", "quantity": "0.1"},
    ]
    assert market["depth"]["lastUpdateId"] > 0
    assert anonymous("{ markets { symbol ticker { lastPrice } } }") == {
        "data": {"markets": [{"symbol": "BTCUSDT", "ticker": {"lastPrice": "1000"}}]}
    }
    assert market["trades"] == [
        {"price": "1000", "quantity": "0.2", "quoteQuantity": "200", "isBuyerMaker": False}
    ]
    assert market["klines"] == [
        {
            "open": "1000",
            "high": "1000",
            "low": "1000",
            "close": "1000",
            "volume": "0.2",
            "quoteVolume": "200",
            "trades": 1,
        }
    ]


@pytest.mark.parametrize("n", [1, 3])
def test_markets_query_count_does_not_grow(anonymous, assets, n, django_assert_num_queries):
    # given n markets
    pairs = [("BTC", "USDT"), ("ETH", "USDT"), ("ETH", "BTC")][:n]
    for base, quote in pairs:
        do_create_market(
            base=assets[base],
            quote=assets[quote],
            tick_size=Decimal("0.01"),
            step_size=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal("1000"),
        )
    # when listing them with their assets and tickers: one query (tickers are one Redis pipeline)
    with django_assert_num_queries(1):
        answer = anonymous("{ markets { symbol baseAsset quoteAsset ticker { lastPrice } } }")
    assert [m["symbol"] for m in answer["data"]["markets"]] == sorted(b + q for b, q in pairs)
