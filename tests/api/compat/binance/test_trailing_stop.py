"""Spot trailing stops (``trailingDelta``, BIPS) through python-binance and ccxt on the live
exchange (ETHUSDT, python-binance's market; taker fee 0.2 %)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from exchange.orders.models import Order
from tests.api.compat.clients import binance_client, ccxt_binance
from tests.api.compat.conftest import balance, wait_until

SYMBOL = "ETHUSDT"


def _trade_at(maker, taker, price: str) -> None:  # noqa: ANN001
    """One trade of 0.01 ETH at ``price``: a resting ask taken by an IOC buy."""
    maker.order_limit_sell(symbol=SYMBOL, quantity="0.01", price=price)
    taker.create_order(
        symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="IOC", quantity="0.01", price=price
    )


def test_a_trailing_stop_loss_follows_the_high_and_sells_on_the_delta(live):
    # given a last price of 2000 and a bid of 1500 to sell into
    seller = live.trader(ETH="1")
    maker, taker = live.trader(ETH="1"), live.trader(USDT="10000")
    s, m, t = (binance_client(live, x) for x in (seller, maker, taker))
    _trade_at(m, t, "2000")
    t.order_limit_buy(symbol=SYMBOL, quantity="0.1", price="1500")
    filters = {f["filterType"]: f for f in s.get_symbol_info(SYMBOL)["filters"]}
    assert filters["TRAILING_DELTA"] == {
        "filterType": "TRAILING_DELTA",
        "minTrailingAboveDelta": 10,
        "maxTrailingAboveDelta": 2000,
        "minTrailingBelowDelta": 10,
        "maxTrailingBelowDelta": 2000,
    }

    # when the seller places a STOP_LOSS SELL of 0.1 ETH trailing 5 % (500 BIPS), no stopPrice
    stop = s.create_order(
        symbol=SYMBOL, side="SELL", type="STOP_LOSS", quantity="0.1", trailingDelta=500
    )
    placed = s.get_order(symbol=SYMBOL, orderId=stop["orderId"])
    assert (placed["trailingDelta"], placed["stopPrice"], placed["isWorking"]) == (500, "0", False)
    assert balance(seller, "ETH") == (Decimal("0.9"), Decimal("0.1"))

    # then a rise to 2200 moves its trigger to 2090; 2100 does not set it off
    _trade_at(m, t, "2200")
    _trade_at(m, t, "2100")
    assert s.get_order(symbol=SYMBOL, orderId=stop["orderId"])["status"] == "NEW"
    # and a trade at 2090 (5 % under 2200) does: a market sell of 0.1 into the bid at 1500
    _trade_at(m, t, "2090")
    wait_until(
        lambda: s.get_order(symbol=SYMBOL, orderId=stop["orderId"])["status"] == "FILLED",
        what="the trailing stop to fill",
    )
    done = s.get_order(symbol=SYMBOL, orderId=stop["orderId"])
    assert (done["executedQty"], done["cummulativeQuoteQty"]) == ("0.1", "150")
    # 150 USDT less the 0.2 % taker fee (0.3 USDT); nothing left locked
    assert balance(seller, "ETH") == (Decimal("0.9"), Decimal(0))
    assert balance(seller, "USDT") == (Decimal("149.7"), Decimal(0))


def test_bad_trailing_deltas_are_refused_with_binance_codes_and_lock_nothing(live):
    trader = live.trader(ETH="1")
    client = binance_client(live, trader)
    cases = [
        ({"type": "STOP_LOSS", "trailingDelta": 9}, -1013, "Filter failure: TRAILING_DELTA"),
        ({"type": "STOP_LOSS", "trailingDelta": 2001}, -1013, "Filter failure: TRAILING_DELTA"),
        (
            {"type": "LIMIT", "timeInForce": "GTC", "price": "2000", "trailingDelta": 100},
            -1106,
            "Parameter 'trailingDelta' is only for stop-loss and take-profit orders.",
        ),
    ]
    for extra, code, message in cases:
        with pytest.raises(BinanceAPIException) as raised:
            client.create_order(symbol=SYMBOL, side="SELL", quantity="0.1", **extra)
        assert (raised.value.code, raised.value.message) == (code, message)
    assert balance(trader, "ETH") == (Decimal("1"), Decimal(0))
    assert not Order.objects.filter(user=trader.user).exists()


def test_ccxt_trailing_percent_places_a_trailing_stop(live):
    # given a last price on ETHUSDT
    maker, taker = live.trader(ETH="1"), live.trader(USDT="10000")
    _trade_at(binance_client(live, maker), binance_client(live, taker), "2000")
    trader = live.trader(ETH="1")
    ex = ccxt_binance(live, trader)
    # when ccxt places a market sell with trailingPercent 1 (its BIPS: 100)
    order = ex.create_order(
        "ETH/USDT",
        "market",
        "sell",
        0.05,
        None,
        {"trailingPercent": 1, "stopLossOrTakeProfit": "stopLoss"},
    )
    # then the exchange holds a STOP_LOSS trailing 100 BIPS, trailing from 2000 at once
    row = Order.objects.get(pk=int(order["id"]))
    assert (row.type, row.trailing_delta, row.stop_price, row.orig_qty) == (
        "STOP_LOSS",
        100,
        None,
        Decimal("0.05"),
    )
    assert ex.fetch_order(order["id"], "ETH/USDT")["info"]["trailingDelta"] == 100
