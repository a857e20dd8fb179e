"""python-binance's ``futures_*`` methods, unchanged, against the live perpetual.

Also the futures quant system's (docs/reference) polling sequence: transfer in, leverage,
place and cancel a ladder, poll positionRisk / account / openOrders / income, listen key;
and its wsPosition server's reading of the user-data stream on that key.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException
from websockets.sync.client import connect

from exchange.accounts.listen_keys import listen_key_ttl
from exchange.futures.models import Contract, Position
from tests.api.compat.binance_futures.conftest import answered, set_mark, transferred
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import funded, wallet
from tests.api.compat.binance_futures.test_streams import frames_until, ws_base
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


def _of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("e") == kind]


# The fields the quant system's wsPosition reads (its binance_f package's AccountUpdate
# parser: mandatory, a missing one raises), per balance and per position (``cr``: the
# position's accumulated realized PnL, before fees).
_BALANCE_FIELDS = {"a", "wb", "cw"}
_POSITION_FIELDS = {"s", "pa", "ep", "cr", "up", "mt", "iw", "ps"}
# ... and of each ORDER_TRADE_UPDATE (OrderUpdate's mandatory fields).
_ORDER_FIELDS = {
    "s", "c", "S", "o", "f", "q", "p", "ap", "sp", "x", "X", "i", "l", "z", "L", "T", "t",
    "b", "a", "m", "R", "wt", "cp", "ps",
}  # fmt: skip


def test_the_quant_systems_user_data_stream(live, quiet_book):
    """As the quant system's wsPosition server: a listen key, ``/ws`` and a SUBSCRIBE of
    the key (binance_f's user_data_channel), then its ACCOUNT_UPDATEs for the transfer
    in and the fills, and ORDER_TRADE_UPDATEs for makerStopLoss's ladder."""
    contract: Contract = quiet_book
    wait_until(
        lambda: answered(contract.margin_asset.code, set_mark(contract, Decimal(60000))),
        what="the mark at 60,000",
    )
    # given a trader with 3,000 USDT on spot, its listen key and the user-data stream
    trader = live.trader(USDT="3000")
    client = futures_client(live, trader)
    key = client.futures_stream_get_listen_key()
    maker, ex_m = funded(live, 5000)
    with connect(f"{ws_base(live)}/ws") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": [key], "id": 1}))
        assert json.loads(ws.recv(timeout=20)) == {"result": None, "id": 1}

        # when the quant system moves 2,000 USDT in and sets 5x
        moved = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="2000")
        deposit = frames_until(ws, lambda es: bool(_of(es, "ACCOUNT_UPDATE")), timeout=30)
        assert transferred(moved["tranId"])
        client.futures_change_leverage(symbol=SYMBOL, leverage=5)
        config = frames_until(ws, lambda es: bool(_of(es, "ACCOUNT_CONFIG_UPDATE")), timeout=30)

        # and opens 0.1 long at 60,000 against a resting ask (taker fee 6,000 x 0.05 % = 3)
        ex_m.create_order(SYMBOL, "limit", "sell", 0.1, 60000)
        bought = client.futures_create_order(
            symbol=SYMBOL, side="BUY", type="MARKET", quantity="0.1"
        )
        opened = frames_until(ws, lambda es: bool(_of(es, "ACCOUNT_UPDATE")), timeout=30)

        # and makerStopLoss hangs five reduce-only stops, 5 % below the cost and 0.5 %
        # further each, reads them back, then cancels them (python-binance sends stops
        # to /fapi/v1/algoOrder, as Binance now wants; algoId is the orderId)
        stops = ("57000", "56700", "56400", "56100", "55800")
        ladder = [
            client.futures_create_order(
                symbol=SYMBOL,
                side="SELL",
                type="STOP_MARKET",
                stopPrice=p,
                quantity="0.02",
                reduceOnly="true",
                workingType="MARK_PRICE",
            )
            for p in stops
        ]
        placed = frames_until(ws, lambda es: len(_of(es, "ORDER_TRADE_UPDATE")) == 5, timeout=30)
        resting = client.futures_get_open_orders(symbol=SYMBOL)
        assert sorted((o["orderId"], o["stopPrice"], o["status"]) for o in resting) == sorted(
            (o["algoId"], p, "NEW") for o, p in zip(ladder, stops, strict=True)
        )
        for order in ladder:
            client.futures_cancel_order(symbol=SYMBOL, algoId=order["algoId"])
        cancelled = frames_until(ws, lambda es: len(_of(es, "ORDER_TRADE_UPDATE")) == 5, timeout=30)

        # and polls positionRisk, account and income while the position is open
        [risk] = client.futures_position_information(symbol=SYMBOL)
        account = client.futures_account()
        income = client.futures_income_history()

        # and closes: the maker bids to close its short, the trader sells at market
        ex_m.create_order(SYMBOL, "limit", "buy", 0.1, 60000, params={"reduceOnly": True})
        client.futures_create_order(
            symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.1", reduceOnly="true"
        )
        closed = frames_until(ws, lambda es: bool(_of(es, "ACCOUNT_UPDATE")), timeout=30)

    # then the transfer in is one ACCOUNT_UPDATE, reason DEPOSIT, the wallet at 2,000
    [transfer] = _of(deposit, "ACCOUNT_UPDATE")
    assert transfer["a"] == {
        "m": "DEPOSIT",
        "B": [{"a": "USDT", "wb": "2000", "cw": "2000", "bc": "2000"}],
        "P": [],
    }
    [leverage] = _of(config, "ACCOUNT_CONFIG_UPDATE")
    assert leverage["ac"] == {"s": SYMBOL, "l": 5}
    # and the fill is one TRADE and an ACCOUNT_UPDATE, reason ORDER: the fee out of the
    # wallet, the position 0.1 at 60,000 with nothing unrealized at a 60,000 mark
    [fill] = [e["o"] for e in _of(opened, "ORDER_TRADE_UPDATE")]
    assert set(fill) >= _ORDER_FIELDS
    assert (fill["i"], fill["x"], fill["X"], fill["l"], fill["L"], fill["n"], fill["N"]) == (
        bought["orderId"],
        "TRADE",
        "FILLED",
        "0.1",
        "60000",
        "3",
        "USDT",
    )
    [position] = _of(opened, "ACCOUNT_UPDATE")
    assert position["a"] == {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "1997", "cw": "1997", "bc": "0"}],
        "P": [
            {
                "s": SYMBOL,
                "pa": "0.1",
                "ep": "60000",
                "cr": "0",
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }
        ],
    }
    assert all(set(b) >= _BALANCE_FIELDS for b in position["a"]["B"])
    assert all(set(p) >= _POSITION_FIELDS for p in position["a"]["P"])
    # and each stop of the ladder is one NEW, then one CANCELED, and nothing else moved
    for events, execution in ((placed, "NEW"), (cancelled, "CANCELED")):
        assert [e["e"] for e in events] == ["ORDER_TRADE_UPDATE"] * 5
        updates = [e["o"] for e in events]
        assert all(set(o) >= _ORDER_FIELDS for o in updates)
        assert sorted(
            (o["i"], o["o"], o["S"], o["q"], o["sp"], o["R"], o["wt"], o["x"], o["X"])
            for o in updates
        ) == sorted(
            (
                o["algoId"],
                "STOP_MARKET",
                "SELL",
                "0.02",
                p,
                True,
                "MARK_PRICE",
                execution,
                execution,
            )
            for o, p in zip(ladder, stops, strict=True)
        )
    # and the polls agree with the stream
    assert (
        risk["positionAmt"],
        risk["entryPrice"],
        risk["markPrice"],
        risk["unRealizedProfit"],
        risk["leverage"],
        risk["marginType"],
        risk["isolatedMargin"],
        risk["positionSide"],
    ) == ("0.1", "60000", "60000", "0", "5", "cross", "0", "BOTH")
    # (initial margin 6,000 / 5 = 1,200)
    assert (
        account["totalWalletBalance"],
        account["totalUnrealizedProfit"],
        account["totalPositionInitialMargin"],
        account["totalOpenOrderInitialMargin"],
        account["availableBalance"],
    ) == ("1997", "0", "1200", "0", "797")
    assert [(r["incomeType"], r["income"], r["asset"]) for r in income] == [
        ("TRANSFER", "2000", "USDT"),
        ("COMMISSION", "-3", "USDT"),
    ]
    # and the close is an ACCOUNT_UPDATE, reason ORDER: the second fee out, no position
    [flat] = _of(closed, "ACCOUNT_UPDATE")
    assert flat["a"] == {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "1994", "cw": "1994", "bc": "0"}],
        "P": [
            {
                "s": SYMBOL,
                "pa": "0",
                "ep": "0",
                "cr": "0",
                "up": "0",
                "mt": "cross",
                "iw": "0",
                "ps": "BOTH",
            }
        ],
    }
    assert all(set(p) >= _POSITION_FIELDS for p in flat["a"]["P"])
    assert client.futures_get_open_orders() == []
    assert wallet(trader) == Decimal(1994)
    wait_until(
        lambda: (
            not Position.objects.filter(user=maker.user, contract=contract).exclude(size=0).exists()
        ),
        what="the maker flat",
    )
