"""python-binance's ``futures_*`` methods, unchanged, against the live perpetual.

Also the futures quant system's (docs/reference) polling sequence: transfer in, leverage,
place and cancel a ladder, poll positionRisk / account / openOrders / income, listen key.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from exchange.accounts.listen_keys import listen_key_ttl
from tests.api.compat.binance_futures.conftest import transferred
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import wallet
from tests.api.compat.conftest import LiveExchange, Trader, balance, wait_until

SYMBOL = "BTCUSDT"


def futures_client(live: LiveExchange, trader: Trader) -> Client:
    class LocalClient(Client):
        API_URL = f"{live.url}/api"
        FUTURES_URL = f"{live.url}/fapi"
        MARGIN_API_URL = f"{live.url}/sapi"

    return LocalClient(trader.key, trader.secret)


def test_the_quant_systems_call_sequence(live, contract):
    # given a trader with 3,000 USDT on spot
    trader = live.trader(USDT="3000")
    client = futures_client(live, trader)

    # transfer in (type 1 of the old API is MAIN_UMFUTURE in the universal one)
    moved = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="2000")
    wait_until(lambda: transferred(moved["tranId"]), what="the transfer")
    assert balance(trader, "USDT") == (Decimal(1000), Decimal(0))
    assert wallet(trader) == Decimal(2000)

    # exchange info, brackets, rates, position mode, leverage
    info = client.futures_exchange_info()
    [perp] = [s for s in info["symbols"] if s["symbol"] == SYMBOL]
    assert (perp["contractType"], perp["marginAsset"], perp["pricePrecision"]) == (
        "PERPETUAL",
        "USDT",
        1,
    )
    assert {f["filterType"] for f in perp["filters"]} >= {
        "PRICE_FILTER",
        "LOT_SIZE",
        "MARKET_LOT_SIZE",
        "MIN_NOTIONAL",
        "PERCENT_PRICE",
    }
    brackets = client.futures_leverage_bracket(symbol=SYMBOL)["brackets"]
    assert [(b["initialLeverage"], b["notionalCap"], b["cum"]) for b in brackets] == [
        (125, 50000, 0),
        (100, 250000, 50),
        (20, 1000000000, 5050),
    ]
    assert client.futures_commission_rate(symbol=SYMBOL) == {
        "symbol": SYMBOL,
        "makerCommissionRate": "0.0002",
        "takerCommissionRate": "0.0005",
    }
    assert client.futures_get_position_mode() == {"dualSidePosition": False}
    book = client.futures_order_book(symbol=SYMBOL, limit=5)
    assert set(book) >= {"lastUpdateId", "bids", "asks", "E", "T"}
    assert isinstance(client.futures_klines(symbol=SYMBOL, interval="1m"), list)
    assert client.futures_symbol_ticker(symbol=SYMBOL)["symbol"] == SYMBOL
    assert client.futures_ticker(symbol=SYMBOL)["symbol"] == SYMBOL
    changed = client.futures_change_leverage(symbol=SYMBOL, leverage=5)
    assert (changed["leverage"], changed["maxNotionalValue"]) == (5, "1000000000")

    # place a ladder of bids and cancel one; the margin they reserve shows in the account
    ladder = [
        client.futures_create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price=p
        )
        for p in ("59000", "58000", "57000")
    ]
    assert [o["status"] for o in ladder] == ["NEW"] * 3
    client.futures_cancel_order(symbol=SYMBOL, orderId=ladder[0]["orderId"])
    open_orders = client.futures_get_open_orders(symbol=SYMBOL)
    assert [o["orderId"] for o in open_orders] == [o["orderId"] for o in ladder[1:]]
    account = client.futures_account()
    # two bids at 5x: 580/5 + 580 x 0.05 % and 570/5 + 570 x 0.05 %
    assert account["totalOpenOrderInitialMargin"] == str(Decimal("116.29") + Decimal("114.285"))
    assert account["availableBalance"] == str(2000 - Decimal("116.29") - Decimal("114.285"))
    [usdt] = [a for a in client.futures_account_balance() if a["asset"] == "USDT"]
    assert usdt["balance"] == "2000"
    assert client.futures_position_information(symbol=SYMBOL) == []
    income = client.futures_income_history(incomeType="TRANSFER")
    assert [(r["income"], r["asset"]) for r in income] == [("2000", "USDT")]

    # listen key: created, re-created the same, kept alive
    key = client.futures_stream_get_listen_key()
    assert client.futures_stream_get_listen_key() == key
    client.futures_stream_keepalive(key)
    assert listen_key_ttl(key) > 3000

    # cancel the rest; nothing reserved
    client.futures_cancel_all_open_orders(symbol=SYMBOL)
    wait_until(lambda: not client.futures_get_open_orders(symbol=SYMBOL), what="cancel all")
    assert client.futures_account()["totalOpenOrderInitialMargin"] == "0"
    assert [o["status"] for o in client.futures_get_all_orders(symbol=SYMBOL)] == ["CANCELED"] * 3


def test_transfer_out_beyond_the_futures_wallet_is_refused(live, contract):
    trader = live.trader(USDT="100")
    client = futures_client(live, trader)
    moved = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="50")
    wait_until(lambda: transferred(moved["tranId"]), what="the transfer")
    with pytest.raises(BinanceAPIException) as refused:
        client.make_universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="60")
    assert refused.value.code == -2019
    with pytest.raises(BinanceAPIException) as short:
        client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="60")
    assert short.value.code == -5013
    assert wallet(trader) == Decimal(50) and balance(trader, "USDT") == (Decimal(50), Decimal(0))
