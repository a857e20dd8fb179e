"""REST markets and public market data: open to anyone, typed errors, real engine data."""

from __future__ import annotations

import pytest

from exchange.orders.actions import place_order
from exchange.orders.requests import OrderRequest
from tests.api.rest.conftest import error
from tests.exchange.marketdata.test_feed import feed_until_caught_up
from tests.pipeline import drain, running_engine

MARKETS = "/api/v1/markets"


def test_market_list_and_detail_are_public(api_client, btcusdt):
    listed = api_client.get(MARKETS)
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "symbol": "BTCUSDT",
            "base": "BTC",
            "quote": "USDT",
            "status": "TRADING",
            "tick_size": "0.01",
            "step_size": "0.00001",
            "min_qty": "0.00001",
            "max_qty": "9000",
            "min_notional": "5",
            "max_notional": None,
            "maker_fee": "0.001",
            "taker_fee": "0.002",
        }
    ]
    assert api_client.get(f"{MARKETS}/btcusdt").json() == listed.json()[0]


@pytest.mark.parametrize("suffix", ["", "/ticker", "/depth", "/trades", "/klines?interval=1m"])
def test_unknown_symbol_is_404(api_client, db, suffix):
    assert error(api_client.get(f"{MARKETS}/DOGEUSDT{suffix}")) == (404, "UNKNOWN_SYMBOL")


def test_bad_query_values_are_typed(api_client, btcusdt):
    assert error(api_client.get(f"{MARKETS}/BTCUSDT/klines?interval=7m")) == (
        400,
        "INVALID_INTERVAL",
    )
    assert error(api_client.get(f"{MARKETS}/BTCUSDT/klines")) == (400, "INVALID_INPUT")
    assert error(api_client.get(f"{MARKETS}/BTCUSDT/depth?limit=x")) == (400, "INVALID_INPUT")
    assert error(api_client.get(f"{MARKETS}/BTCUSDT/klines?interval=1m&start=-1")) == (
        400,
        "INVALID_INPUT",
    )


def test_before_any_market_data(api_client, btcusdt, redis_client):
    assert error(api_client.get(f"{MARKETS}/BTCUSDT/ticker")) == (404, "NO_DATA")
    assert api_client.get(f"{MARKETS}/BTCUSDT/depth").json() == {
        "last_update_id": 0,
        "bids": [],
        "asks": [],
    }
    assert api_client.get(f"{MARKETS}/BTCUSDT/trades").json() == []
    assert api_client.get(f"{MARKETS}/BTCUSDT/klines?interval=1m").json() == []


@pytest.mark.django_db(transaction=True)
def test_market_data_after_a_match(api_client, redis_client, make_user, assets, fund, btcusdt):
    # given a resting bid, a resting ask and one match, through the engine and market data
    alice, bob = make_user(), make_user()
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["USDT"], "10000")
    with running_engine(["BTCUSDT"]):
        for user, side, price, qty in [
            (alice, "SELL", "60010", "0.02"),
            (bob, "BUY", "59990", "0.03"),
            (bob, "BUY", "60010", "0.01"),
        ]:
            place_order(
                user=user,
                request=OrderRequest.parse(
                    symbol="BTCUSDT", side=side, type="LIMIT", price=price, quantity=qty
                ),
            )
        drain("BTCUSDT")
    feed_until_caught_up(btcusdt)
    # then depth, trades, ticker and klines show exactly that
    depth = api_client.get(f"{MARKETS}/BTCUSDT/depth?limit=5").json()
    assert (depth["bids"], depth["asks"]) == ([["59990", "0.03"]], [["60010", "0.01"]])
    assert depth["last_update_id"] > 0
    trades = api_client.get(f"{MARKETS}/BTCUSDT/trades").json()
    assert [(t["price"], t["qty"], t["quote_qty"], t["is_buyer_maker"]) for t in trades] == [
        ("60010", "0.01", "600.1", False)
    ]
    ticker = api_client.get(f"{MARKETS}/BTCUSDT/ticker").json()
    assert (ticker["last_price"], ticker["volume"], ticker["count"]) == ("60010", "0.01", 1)
    assert (ticker["bid_price"], ticker["ask_price"]) == ("59990", "60010")
    (bar,) = api_client.get(f"{MARKETS}/BTCUSDT/klines?interval=1h&limit=10").json()
    assert (bar["open"], bar["close"], bar["volume"], bar["trades"]) == (
        "60010",
        "60010",
        "0.01",
        1,
    )
    assert bar["close_time"] == bar["open_time"] + 3_600_000 - 1
