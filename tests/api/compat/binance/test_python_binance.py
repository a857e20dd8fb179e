"""python-binance's Client, subclassed only for its URL, trades on the live exchange (ETHUSDT).

Fees: maker 0.1 %, taker 0.2 %; the buyer pays in ETH, the seller in USDT.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests
from binance.exceptions import BinanceAPIException

from exchange.orders.models import Order
from tests.api.compat.clients import binance_client
from tests.api.compat.conftest import balance, wait_until

SYMBOL = "ETHUSDT"


def balances(client) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """The assets held, as Binance lists them with ``omitZeroBalances=true``."""
    account = client.get_account(omitZeroBalances="true")
    return {b["asset"]: (b["free"], b["locked"]) for b in account["balances"]}


def test_market_data_and_a_trade_between_two_accounts(live):
    # given
    alice = live.trader(ETH="2")
    bob = live.trader(USDT="5000")
    a, b = binance_client(live, alice), binance_client(live, bob)
    assert abs(a.get_server_time()["serverTime"] - time.time() * 1000) < 5000
    info = a.get_symbol_info(SYMBOL)
    assert info["baseAsset"] == "ETH" and info["status"] == "TRADING"
    assert "contractType" not in info
    assert {f["filterType"] for f in info["filters"]} == {
        "PRICE_FILTER",
        "LOT_SIZE",
        "MARKET_LOT_SIZE",
        "NOTIONAL",
        "TRAILING_DELTA",
    }

    # when alice rests a sell, bob buys part of it with a market order by quote amount
    ask = a.order_limit_sell(symbol=SYMBOL, quantity="1", price="2000")
    assert ask["status"] == "NEW" and ask["fills"] == []
    bought = b.order_market_buy(symbol=SYMBOL, quoteOrderQty="1000")

    # then
    assert bought["status"] == "FILLED" and bought["executedQty"] == "0.5"
    assert bought["cummulativeQuoteQty"] == "1000"
    assert bought["fills"] == [
        {
            "price": "2000",
            "qty": "0.5",
            "commission": "0.001",
            "commissionAsset": "ETH",
            "tradeId": bought["fills"][0]["tradeId"],
        }
    ]
    wait_until(
        lambda: a.get_order(symbol=SYMBOL, orderId=ask["orderId"])["status"] == "PARTIALLY_FILLED"
    )
    assert balances(b) == {"ETH": ("0.499", "0"), "USDT": ("4000", "0")}
    assert balances(a) == {"ETH": ("1", "0.5"), "USDT": ("999", "0")}
    assert b.get_asset_balance(asset="ETH") == {"asset": "ETH", "free": "0.499", "locked": "0"}

    [mine] = b.get_my_trades(symbol=SYMBOL)
    assert (mine["isBuyer"], mine["isMaker"], mine["qty"], mine["commission"]) == (
        True,
        False,
        "0.5",
        "0.001",
    )
    [theirs] = a.get_my_trades(symbol=SYMBOL)
    assert (theirs["isBuyer"], theirs["isMaker"], theirs["commission"]) == (False, True, "1")

    # market data
    wait_until(lambda: b.get_symbol_ticker(symbol=SYMBOL)["price"] == "2000")
    assert b.get_ticker(symbol=SYMBOL)["lastPrice"] == "2000"
    wait_until(lambda: b.get_order_book(symbol=SYMBOL)["asks"] == [["2000", "0.5"]])
    # the legacy v1 path answers the same book (the native /api/v1 has no bare depth)
    legacy = requests.get(f"{live.url}/api/v1/depth", params={"symbol": SYMBOL}, timeout=10)
    assert legacy.json() == b.get_order_book(symbol=SYMBOL)
    assert int(legacy.headers["X-MBX-USED-WEIGHT-1M"]) > 0
    assert b.get_orderbook_ticker(symbol=SYMBOL)["askPrice"] == "2000"
    assert b.get_recent_trades(symbol=SYMBOL)[-1]["qty"] == "0.5"
    assert b.get_historical_trades(symbol=SYMBOL)[-1]["id"] == mine["id"]
    assert b.get_aggregate_trades(symbol=SYMBOL)[-1]["a"] == mine["id"]
    klines = b.get_klines(symbol=SYMBOL, interval="1m")
    assert klines[-1][4] == "2000" and Decimal(klines[-1][5]) >= Decimal("0.5")
    assert b.get_avg_price(symbol=SYMBOL)["price"] == "2000"
    assert {t["symbol"] for t in b.get_all_tickers()} >= {"ETHUSDT", "BTCUSDT"}


def test_orders_queries_and_cancels(live):
    # given
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    first = client.order_limit_buy(
        symbol=SYMBOL, quantity="0.1", price="1000", newClientOrderId="pb-1"
    )
    second = client.create_order(
        symbol=SYMBOL,
        side="BUY",
        type="LIMIT_MAKER",
        quantity="0.1",
        price="1001",
        newOrderRespType="RESULT",
    )
    assert second["status"] == "NEW" and "fills" not in second
    ack = client.create_order(
        symbol=SYMBOL,
        side="BUY",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="3000",
        stopPrice="2900",
    )
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    assert (
        client.create_test_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="1000"
        )
        == {}
    )

    # when / then
    assert client.get_order(symbol=SYMBOL, origClientOrderId="pb-1")["orderId"] == first["orderId"]
    assert [o["orderId"] for o in client.get_open_orders(symbol=SYMBOL)] == [
        first["orderId"],
        second["orderId"],
        ack["orderId"],
    ]
    # python-binance sends DELETE parameters in the body
    cancelled = client.cancel_order(symbol=SYMBOL, orderId=first["orderId"])
    assert cancelled["status"] == "CANCELED"
    rest = client.cancel_all_open_orders(symbol=SYMBOL)
    assert [(o["orderId"], o["status"]) for o in rest] == [
        (second["orderId"], "CANCELED"),
        (ack["orderId"], "CANCELED"),
    ]
    assert [o["status"] for o in client.get_all_orders(symbol=SYMBOL)] == ["CANCELED"] * 3
    assert balances(client) == {"USDT": ("1000", "0")}


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (
            lambda c: c.order_limit_buy(symbol=SYMBOL, quantity="1", price="2000"),
            -2010,
            "Account has insufficient balance for requested action.",
        ),
        (lambda c: c.get_order(symbol=SYMBOL, orderId=987654321), -2013, "Order does not exist."),
        (lambda c: c.cancel_order(symbol=SYMBOL, orderId=987654321), -2011, "Unknown order sent."),
        (lambda c: c.get_ticker(symbol="NOPE"), -1121, "Invalid symbol."),
        (
            lambda c: c.order_limit_buy(symbol=SYMBOL, quantity="0.123456789", price="1000"),
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (lambda c: c.get_klines(symbol=SYMBOL, interval="7m"), -1120, "Invalid interval."),
    ],
)
def test_errors_raise_binance_api_exception_and_change_nothing(live, call, code, message):
    trader = live.trader(USDT="100")
    client = binance_client(live, trader)

    with pytest.raises(BinanceAPIException) as raised:
        call(client)

    assert (raised.value.code, raised.value.message) == (code, message)
    assert 400 <= raised.value.status_code < 500
    assert not Order.objects.filter(user=trader.user).exists()
    assert balance(trader, "USDT") == (Decimal(100), Decimal(0))


def test_bad_signature_and_stale_timestamp(live):
    trader = live.trader(USDT="100")
    wrong = binance_client(live, trader)
    wrong.API_SECRET = "y" * 64
    with pytest.raises(BinanceAPIException) as raised:
        wrong.get_account()
    assert raised.value.code == -1022

    stale = binance_client(live, trader)
    stale.timestamp_offset = -120_000
    with pytest.raises(BinanceAPIException) as raised:
        stale.get_account()
    assert raised.value.code == -1021


def test_listen_key_create_keepalive_close(live):
    trader = live.trader()
    client = binance_client(live, trader)

    listen_key = client.stream_get_listen_key()

    assert len(listen_key) == 60
    assert client.stream_get_listen_key() == listen_key
    assert client.stream_keepalive(listen_key) == {}
    assert client.stream_close(listen_key) == {}
    with pytest.raises(BinanceAPIException) as raised:
        client.stream_keepalive(listen_key)
    assert raised.value.code == -1125


def test_stop_that_would_trigger_at_once_is_refused_and_one_that_waits_triggers(live):
    # given a last price of 2100
    seller, buyer = live.trader(ETH="1"), live.trader(USDT="1000")
    s, b = binance_client(live, seller), binance_client(live, buyer)
    s.order_limit_sell(symbol=SYMBOL, quantity="0.01", price="2100")
    b.order_limit_buy(symbol=SYMBOL, quantity="0.01", price="2100")

    # a stop-loss sell above the last price would trigger at once: refused, nothing locked
    with pytest.raises(BinanceAPIException) as raised:
        s.create_order(
            symbol=SYMBOL, side="SELL", type="STOP_LOSS", quantity="0.1", stopPrice="2200"
        )
    assert (raised.value.code, raised.value.message) == (
        -2010,
        "Stop price would trigger immediately.",
    )
    assert balance(seller, "ETH") == (Decimal("0.99"), Decimal(0))

    # a stop-loss sell below waits, and a trade at its stop price sets it off
    stop = s.create_order(
        symbol=SYMBOL,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="1900",
        stopPrice="2000",
    )
    assert s.get_order(symbol=SYMBOL, orderId=stop["orderId"])["isWorking"] is False
    s.order_limit_sell(symbol=SYMBOL, quantity="0.01", price="2000")
    b.order_limit_buy(symbol=SYMBOL, quantity="0.01", price="2000")
    wait_until(lambda: s.get_order(symbol=SYMBOL, orderId=stop["orderId"])["isWorking"])
    working = s.get_order(symbol=SYMBOL, orderId=stop["orderId"])
    assert (working["status"], working["price"], working["stopPrice"]) == ("NEW", "1900", "2000")
