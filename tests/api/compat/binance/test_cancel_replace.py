"""``POST /api/v3/order/cancelReplace`` through python-binance and ccxt's ``edit_order`` (SOLUSDT)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from exchange.orders.models import Order
from tests.api.compat.clients import binance_client, ccxt_binance
from tests.api.compat.conftest import balance, wait_until

SYMBOL = "SOLUSDT"
CANCEL_KEYS = {
    "symbol", "origClientOrderId", "orderId", "orderListId", "clientOrderId", "transactTime",
    "price", "origQty", "executedQty", "cummulativeQuoteQty", "status", "timeInForce", "type",
    "side",
}  # fmt: skip


def test_cancel_replace_moves_an_order_holding_the_whole_balance(live):
    # given a buy of 10 SOL at 100 holding all 1000 USDT
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    old = client.order_limit_buy(symbol=SYMBOL, quantity="10", price="100")
    # when it is replaced by a buy at 99 (cancel and new order in one engine step)
    answer = client.cancel_replace_order(
        symbol=SYMBOL,
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="10",
        price="99",
        cancelReplaceMode="STOP_ON_FAILURE",
        cancelOrderId=old["orderId"],
        newOrderRespType="RESULT",
    )
    # then both halves succeeded, in Binance's shape
    assert (answer["cancelResult"], answer["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    cancel, new = answer["cancelResponse"], answer["newOrderResponse"]
    assert set(cancel) >= CANCEL_KEYS
    assert (cancel["orderId"], cancel["status"]) == (old["orderId"], "CANCELED")
    assert (new["status"], new["price"], new["origQty"]) == ("NEW", "99", "10")
    wait_until(lambda: balance(trader, "USDT") == (Decimal("10"), Decimal("990")))
    assert Order.objects.get(pk=new["orderId"]).replaces_id == old["orderId"]


def test_stop_on_failure_with_an_unknown_order_is_minus_2022(live):
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    with pytest.raises(BinanceAPIException) as excinfo:
        client.cancel_replace_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="1",
            price="99",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrderId=987654321,
        )
    assert (excinfo.value.status_code, excinfo.value.code) == (400, -2022)
    data = excinfo.value.response.json()["data"]
    assert data == {
        "cancelResult": "FAILURE",
        "newOrderResult": "NOT_ATTEMPTED",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
        "newOrderResponse": None,
    }
    assert not Order.objects.filter(user=trader.user).exists()


def test_allow_failure_with_an_unknown_order_places_the_new_one_and_is_minus_2021(live):
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    with pytest.raises(BinanceAPIException) as excinfo:
        client.cancel_replace_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="1",
            price="99",
            cancelReplaceMode="ALLOW_FAILURE",
            cancelOrderId=987654321,
        )
    assert (excinfo.value.status_code, excinfo.value.code) == (409, -2021)
    data = excinfo.value.response.json()["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert data["newOrderResponse"]["status"] == "NEW"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"cancelReplaceMode": None}, -1102),
        ({"cancelReplaceMode": "SOMETIMES"}, -1100),
        ({"cancelOrderId": None}, -1102),
        ({"price": "99.001"}, -1013),
        ({"symbol": "NOPEUSDT"}, -1121),
    ],
)
def test_bad_input_is_a_clear_4xx(live, change, code):
    trader = live.trader(USDT="1000")
    client = binance_client(live, trader)
    args = {
        "symbol": SYMBOL,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1",
        "price": "99",
        "cancelReplaceMode": "STOP_ON_FAILURE",
        "cancelOrderId": 1,
    }
    args = {k: v for k, v in {**args, **change}.items() if v is not None}
    with pytest.raises(BinanceAPIException) as excinfo:
        client.cancel_replace_order(**args)
    assert excinfo.value.status_code == 400 and excinfo.value.code == code
    assert not Order.objects.filter(user=trader.user).exists()


def test_ccxt_edit_order_is_a_cancel_replace(live):
    trader = live.trader(USDT="1000")
    ex = ccxt_binance(live, trader)
    order = ex.create_order("SOL/USDT", "limit", "buy", 2, 100)
    edited = ex.edit_order(order["id"], "SOL/USDT", "limit", "buy", 3, 90)
    assert edited["id"] != order["id"]
    assert (edited["price"], edited["amount"], edited["status"]) == (90, 3, "open")
    wait_until(lambda: Order.objects.get(pk=int(order["id"])).status == "CANCELED")
    wait_until(lambda: balance(trader, "USDT") == (Decimal("730"), Decimal("270")))
