"""Futures order management through the real clients, against the live engine and clearing:
``/fapi/v1/batchOrders`` (POST and DELETE), ``PUT /fapi/v1/order`` and
``countdownCancelAll``, answers checked against Binance's documented shapes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from exchange.futures.models import FuturesCancelCountdown, FuturesOrder, FuturesOrderAmendment
from tests.api.compat.binance_futures.conftest import transferred
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL as CCXT_SYMBOL
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import usdm
from tests.api.compat.binance_futures.test_python_binance_futures import futures_client
from tests.api.compat.conftest import LiveExchange, wait_until

SYMBOL = "BTCUSDT"
# Binance's order answer (Place-Multiple-Orders, Modify-Order): the keys python-binance
# and ccxt read.
ORDER_KEYS = {
    "orderId",
    "symbol",
    "status",
    "clientOrderId",
    "price",
    "avgPrice",
    "origQty",
    "executedQty",
    "cumQuote",
    "timeInForce",
    "type",
    "reduceOnly",
    "closePosition",
    "side",
    "positionSide",
    "stopPrice",
    "workingType",
    "origType",
    "updateTime",
}


def funded_client(live: LiveExchange, amount: str = "2000") -> Client:
    trader = live.trader(USDT=amount)
    client = futures_client(live, trader)
    moved = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount=amount)
    wait_until(lambda: transferred(moved["tranId"]), what="the transfer")
    return client


def limit(side: str, price: str, qty: str = "0.01", **extra: str) -> dict[str, str]:
    return {
        "symbol": SYMBOL,
        "side": side,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": qty,
        "price": price,
        **extra,
    }


def test_batch_orders_answer_each_slot_on_its_own(live, contract):
    client = funded_client(live)
    # when five orders go in one batch: two good, a bad tick, one over the margin, one good
    answer = client.futures_place_batch_order(
        batchOrders=[
            limit("BUY", "59000"),
            limit("BUY", "58000"),
            limit("BUY", "58000.05"),
            limit("BUY", "59000", qty="5"),
            limit("SELL", "62000", newClientOrderId="batch-sell-1"),
        ]
    )
    # then every slot holds its order or its own error, in order
    assert len(answer) == 5
    good = [answer[i] for i in (0, 1, 4)]
    for order in good:
        assert set(order) >= ORDER_KEYS
        assert order["status"] == "NEW"
    assert (good[2]["clientOrderId"], good[2]["side"], good[2]["price"]) == (
        "batch-sell-1",
        "SELL",
        "62000",
    )
    assert answer[2] == {"code": -4014, "msg": "Price not increased by tick size."}
    assert answer[3] == {"code": -2019, "msg": "Margin is insufficient."}
    # the bad tick wrote no row, the margin refusal a REJECTED one
    rows = FuturesOrder.objects.filter(user=live.traders[-1].user).order_by("pk")
    assert [r.status for r in rows] == ["NEW", "NEW", "REJECTED", "NEW"]
    # six orders are one too many
    with pytest.raises(BinanceAPIException) as too_many:
        client.futures_place_batch_order(batchOrders=[limit("BUY", "57500")] * 6)
    assert too_many.value.code == -1130

    # when two of them and an unknown id are canceled in one call
    ids = [good[0]["orderId"], good[1]["orderId"], 999_999_999]
    canceled = client.futures_cancel_orders(symbol=SYMBOL, orderidlist=ids)
    # then the two are CANCELED and the unknown one is -2011 in its slot
    assert [c.get("status") for c in canceled[:2]] == ["CANCELED", "CANCELED"]
    assert [c["orderId"] for c in canceled[:2]] == ids[:2]
    assert canceled[2] == {"code": -2011, "msg": "Unknown order sent."}
    open_ids = [o["orderId"] for o in client.futures_get_open_orders(symbol=SYMBOL)]
    assert open_ids == [good[2]["orderId"]]


def test_modify_keeps_the_queue_place_only_when_the_quantity_goes_down(live, quiet_book):
    # (an empty book: a bid another module left above 58,000 would take the sells first)
    first, second, seller = funded_client(live), funded_client(live), funded_client(live)
    a = first.futures_create_order(**limit("BUY", "58000", qty="0.01"))
    b = second.futures_create_order(**limit("BUY", "58000", qty="0.01"))
    # when the first bidder lowers its quantity
    cut = first.futures_modify_order(
        symbol=SYMBOL, orderId=a["orderId"], side="BUY", quantity="0.005", price="58000"
    )
    # then the answer is the same order with the new original quantity
    assert set(cut) >= ORDER_KEYS
    assert (cut["orderId"], cut["origQty"], cut["price"], cut["status"]) == (
        a["orderId"],
        "0.005",
        "58000",
        "NEW",
    )
    # and it is still first in line: a seller of 0.002 meets it
    seller.futures_create_order(**limit("SELL", "58000", qty="0.002"))
    wait_until(
        lambda: FuturesOrder.objects.get(pk=a["orderId"]).executed_qty == Decimal("0.002"),
        what="the first bid filled",
    )
    # when it raises its quantity it goes behind the second bid
    raised = first.futures_modify_order(
        symbol=SYMBOL, orderId=a["orderId"], side="BUY", quantity="0.01", price="58000"
    )
    assert (raised["origQty"], raised["executedQty"]) == ("0.01", "0.002")
    seller.futures_create_order(**limit("SELL", "58000", qty="0.003"))
    wait_until(
        lambda: FuturesOrder.objects.get(pk=b["orderId"]).executed_qty == Decimal("0.003"),
        what="the second bid filled",
    )
    assert FuturesOrder.objects.get(pk=a["orderId"]).executed_qty == Decimal("0.002")
    history = first.futures_v1_get_order_amendment(symbol=SYMBOL, orderId=a["orderId"])
    assert [(h["orderId"], h["amendment"]) for h in history] == [
        (
            a["orderId"],
            {
                "price": {"before": "58000", "after": "58000"},
                "origQty": {"before": "0.01", "after": "0.005"},
                "count": 1,
            },
        ),
        (
            a["orderId"],
            {
                "price": {"before": "58000", "after": "58000"},
                "origQty": {"before": "0.005", "after": "0.01"},
                "count": 2,
            },
        ),
    ]
    assert set(history[0]) == {
        "amendmentId",
        "symbol",
        "pair",
        "orderId",
        "clientOrderId",
        "time",
        "amendment",
    }
    # an unchanged order is -5027; a modify beyond the margin is refused and changes nothing
    with pytest.raises(BinanceAPIException) as same:
        first.futures_modify_order(
            symbol=SYMBOL, orderId=a["orderId"], side="BUY", quantity="0.01", price="58000"
        )
    assert same.value.code == -5027
    with pytest.raises(BinanceAPIException) as short:
        first.futures_modify_order(
            symbol=SYMBOL, orderId=a["orderId"], side="BUY", quantity="5", price="58000"
        )
    assert short.value.code == -2019
    assert FuturesOrder.objects.get(pk=a["orderId"]).quantity == Decimal("0.01")
    refused = FuturesOrderAmendment.objects.filter(order_id=a["orderId"]).last()
    assert refused is not None and refused.result == "INSUFFICIENT_MARGIN"
    for client in (first, second):
        client.futures_cancel_all_open_orders(symbol=SYMBOL)


def test_ccxt_create_orders_and_edit_order(live, contract):
    client = funded_client(live)
    trader = live.traders[-1]
    ex = usdm(live, trader)
    ex.load_markets()
    # ccxt's create_orders is /fapi/v1/batchOrders
    placed = ex.create_orders(
        [
            {"symbol": CCXT_SYMBOL, "type": "limit", "side": "buy", "amount": 0.01, "price": 58500},
            {"symbol": CCXT_SYMBOL, "type": "limit", "side": "buy", "amount": 0.01, "price": 57500},
        ]
    )
    assert [(o["status"], o["price"], o["amount"]) for o in placed] == [
        ("open", 58500.0, 0.01),
        ("open", 57500.0, 0.01),
    ]
    # ccxt's edit_order is PUT /fapi/v1/order: same id, new price
    edited = ex.edit_order(placed[0]["id"], CCXT_SYMBOL, "limit", "buy", 0.01, 58700)
    assert (edited["id"], edited["price"], edited["amount"]) == (placed[0]["id"], 58700.0, 0.01)
    assert FuturesOrder.objects.get(pk=int(placed[0]["id"])).price == Decimal(58700)
    client.futures_cancel_all_open_orders(symbol=SYMBOL)


def test_countdown_cancel_all_sets_and_stops_the_switch(live, contract):
    client = funded_client(live)
    answer = client.futures_countdown_cancel_all(symbol=SYMBOL, countdownTime=120_000)
    assert answer == {"symbol": SYMBOL, "countdownTime": "120000"}
    assert FuturesCancelCountdown.objects.filter(contract=contract).count() == 1
    client.futures_countdown_cancel_all(symbol=SYMBOL, countdownTime=0)
    assert FuturesCancelCountdown.objects.filter(contract=contract).count() == 0
    with pytest.raises(BinanceAPIException) as bad:
        client.futures_countdown_cancel_all(symbol=SYMBOL, countdownTime=-1)
    assert bad.value.code == -1130
