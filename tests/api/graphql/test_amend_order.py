"""Mutation `amendOrder`: reduce a resting order's quantity, keeping its queue place."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from exchange.orders.models import Order, OrderAmendment
from tests.pipeline import drain, running_engine

PLACE = """
mutation { placeOrder(symbol: "BTCUSDT", side: SELL, type: LIMIT, price: "50000",
                      quantity: "0.01") { order { id } errors { code } } }
"""
AMEND = """
mutation ($orderId: ID!, $newQty: Decimal!) {
  amendOrder(orderId: $orderId, symbol: "BTCUSDT", newQty: $newQty, newClientOrderId: "g-1") {
    order { id quantity clientOrderId status }
    origClientOrderId
    errors { code field message }
  }
}
"""


@pytest.fixture
def seller(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["BTC"], "1")
    return user


def _call_in_thread(caller, query, variables):  # noqa: ANN001, ANN202
    try:
        return caller(query, variables)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_amend_order_through_the_engine(redis_client, as_user, seller):
    caller = as_user(seller)
    with running_engine(["BTCUSDT"]):
        order_id = caller(PLACE)["data"]["placeOrder"]["order"]["id"]
        drain("BTCUSDT")
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(
                _call_in_thread, caller, AMEND, {"orderId": order_id, "newQty": "0.003"}
            )
            deadline = time.monotonic() + 30
            while not OrderAmendment.objects.filter(order_id=order_id).exists():
                # a request that failed before writing its row would leave this loop waiting
                assert not answer.done() and time.monotonic() < deadline, answer.result()
                time.sleep(0.02)
            drain("BTCUSDT")
            result = answer.result(timeout=30)["data"]["amendOrder"]
    assert result["errors"] == []
    assert result["order"] == {
        "id": order_id,
        "quantity": "0.003",
        "clientOrderId": "g-1",
        "status": "NEW",
    }
    order = Order.objects.get(pk=order_id)
    assert (order.orig_qty, order.locked_remaining) == (Decimal("0.003"), Decimal("0.003"))


def test_amend_that_does_not_reduce_is_refused_and_changes_nothing(as_user, seller):
    caller = as_user(seller)
    order_id = caller(PLACE)["data"]["placeOrder"]["order"]["id"]
    result = caller(AMEND, {"orderId": order_id, "newQty": "0.01"})["data"]["amendOrder"]
    assert [e["code"] for e in result["errors"]] == ["AMEND_NOT_REDUCING"]
    assert result["order"] is None
    assert Order.objects.get(pk=order_id).orig_qty == Decimal("0.01")
    assert not OrderAmendment.objects.exists()


def test_amend_of_an_unknown_order(as_user, seller):
    result = as_user(seller)(AMEND, {"orderId": "424242", "newQty": "0.001"})["data"]["amendOrder"]
    assert [e["code"] for e in result["errors"]] == ["ORDER_NOT_FOUND"]
