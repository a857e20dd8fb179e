"""Mutations `replaceOrder` (cancel-replace), `placeOrders` (batch) and `placeOrder`'s retry answer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import CancelCountdown, Order

REPLACE = """
mutation ($orderId: ID!, $mode: ReplaceMode!, $price: Decimal, $quantity: Decimal) {
  replaceOrder(orderId: $orderId, mode: $mode, symbol: "BTCUSDT", side: BUY, type: LIMIT,
               price: $price, quantity: $quantity) {
    order { id price status }
    replacedOrder { id }
    cancelError { code }
    errors { code field message }
  }
}
"""
PLACE = """
mutation ($clientOrderId: String, $price: Decimal) {
  placeOrder(symbol: "BTCUSDT", side: BUY, type: LIMIT, price: $price, quantity: "0.01",
             clientOrderId: $clientOrderId) {
    order { id } created errors { code }
  }
}
"""


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


def test_replace_locks_only_the_difference(as_user, trader):
    caller = as_user(trader)
    placed = caller(PLACE, {"clientOrderId": "a", "price": "50000"})["data"]["placeOrder"]
    old_id = placed["order"]["id"]
    answer = caller(
        REPLACE,
        {"orderId": old_id, "mode": "STOP_ON_FAILURE", "price": "60000", "quantity": "0.01"},
    )["data"]["replaceOrder"]
    assert answer["errors"] == [] and answer["replacedOrder"] == {"id": old_id}
    new = Order.objects.get(pk=answer["order"]["id"])
    assert (new.locked, new.lock_from_replaced, new.replaces_id) == (
        Decimal("100"),
        Decimal("500"),
        int(old_id),
    )


def test_replace_of_an_unknown_order_stops_on_failure(as_user, trader):
    answer = as_user(trader)(
        REPLACE,
        {"orderId": "999999", "mode": "STOP_ON_FAILURE", "price": "50000", "quantity": "0.01"},
    )
    assert [e["code"] for e in answer["data"]["replaceOrder"]["errors"]] == ["ORDER_NOT_FOUND"]
    assert not Order.objects.exists()


def test_replace_allow_failure_places_and_says_why_the_cancel_failed(as_user, trader):
    answer = as_user(trader)(
        REPLACE,
        {"orderId": "999999", "mode": "ALLOW_FAILURE", "price": "50000", "quantity": "0.01"},
    )["data"]["replaceOrder"]
    assert answer["cancelError"] == {"code": "ORDER_NOT_FOUND"} and answer["replacedOrder"] is None
    assert answer["order"]["status"] == "NEW"


def test_place_order_retry_returns_the_first_order(as_user, trader):
    caller = as_user(trader)
    first = caller(PLACE, {"clientOrderId": "r-1", "price": "50000"})["data"]["placeOrder"]
    again = caller(PLACE, {"clientOrderId": "r-1", "price": "50000"})["data"]["placeOrder"]
    other = caller(PLACE, {"clientOrderId": "r-1", "price": "40000"})
    assert (first["created"], again["created"]) == (True, False)
    assert again["order"]["id"] == first["order"]["id"]
    assert [e["code"] for e in other["data"]["placeOrder"]["errors"]] == [
        "DUPLICATE_CLIENT_ORDER_ID"
    ]
    assert Order.objects.count() == 1


PLACE_MANY = """
mutation ($orders: [OrderInput!]!) {
  placeOrders(orders: $orders) {
    results { order { id clientOrderId } errors { code } }
    errors { code }
  }
}
"""


def test_place_orders_answers_each_slot(as_user, trader):
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}
    answer = as_user(trader)(
        PLACE_MANY,
        {
            "orders": [
                {**order, "price": "50000", "clientOrderId": "m-1"},
                {**order, "price": "50000.001"},
                {**order, "price": "50000", "quantity": "1"},
            ]
        },
    )["data"]["placeOrders"]
    assert answer["errors"] == []
    codes = [[e["code"] for e in r["errors"]] for r in answer["results"]]
    assert codes == [[], ["PRICE_TICK"], ["INSUFFICIENT_BALANCE"]]
    assert answer["results"][0]["order"]["clientOrderId"] == "m-1"
    assert Order.objects.count() == 1


def test_place_orders_refuses_more_than_ten(as_user, trader):
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "1"}
    answer = as_user(trader)(PLACE_MANY, {"orders": [order] * 11})["data"]["placeOrders"]
    assert [e["code"] for e in answer["errors"]] == ["INVALID_BATCH"]
    assert not Order.objects.exists()


COUNTDOWN = """
mutation ($ms: Int!) {
  setCancelCountdown(symbol: "BTCUSDT", countdownMs: $ms) { deadline errors { code } }
}
"""


def test_set_cancel_countdown(as_user, trader):
    caller = as_user(trader)
    answer = caller(COUNTDOWN, {"ms": 5000})["data"]["setCancelCountdown"]
    assert answer["errors"] == [] and answer["deadline"] is not None
    assert CancelCountdown.objects.filter(user=trader).count() == 1
    stopped = caller(COUNTDOWN, {"ms": 0})["data"]["setCancelCountdown"]
    assert stopped == {"deadline": None, "errors": []}
    bad = caller(COUNTDOWN, {"ms": -1})["data"]["setCancelCountdown"]
    assert [e["code"] for e in bad["errors"]] == ["INVALID_COUNTDOWN"]
    assert not CancelCountdown.objects.exists()
