"""Mutation `placeOco`: the same OcoRequest and service as /api/v3/orderList/oco."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order, OrderList
from exchange.wallets.models import Balance

PLACE_OCO = """
mutation ($abovePrice: Decimal, $quantity: Decimal!) {
  placeOco(symbol: "BTCUSDT", side: SELL, quantity: $quantity,
           above: {type: LIMIT_MAKER, price: $abovePrice},
           below: {type: STOP_LOSS_LIMIT, stopPrice: "60000", price: "59900"}) {
    orderListId listStatusType listOrderStatus
    orders { id type status }
    errors { code }
  }
}
"""


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["BTC"], "0.5")
    return user


def test_place_oco_holds_the_quantity_once(as_user, trader):
    answer = as_user(trader)(PLACE_OCO, {"abovePrice": "70000", "quantity": "0.5"})
    body = answer["data"]["placeOco"]
    assert body["errors"] == []
    assert (body["listStatusType"], body["listOrderStatus"]) == ("EXEC_STARTED", "EXECUTING")
    assert [(o["type"], o["status"]) for o in body["orders"]] == [
        ("STOP_LOSS_LIMIT", "PENDING_TRIGGER"),
        ("LIMIT_MAKER", "NEW"),
    ]
    assert OrderList.objects.get(pk=body["orderListId"]).orders.count() == 2
    row = Balance.objects.get(account__user=trader, asset__code="BTC")
    assert (row.available, row.locked) == (Decimal(0), Decimal("0.5"))


def test_prices_on_the_wrong_side_are_refused_and_change_nothing(as_user, trader):
    answer = as_user(trader)(PLACE_OCO, {"abovePrice": "59000", "quantity": "0.5"})
    assert answer["data"]["placeOco"]["errors"] == [{"code": "INVALID_LIST_PRICES"}]
    assert not Order.objects.exists() and not OrderList.objects.exists()
