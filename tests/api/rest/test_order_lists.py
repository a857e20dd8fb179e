"""POST /api/v1/order-lists/oco, GET /api/v1/order-lists/{id}, POST .../cancel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.models import Order, OrderList
from exchange.wallets.models import Balance
from tests.api.rest.conftest import rows_snapshot

OCO = "/api/v1/order-lists/oco"
SELL_OCO = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "quantity": "0.5",
    "above": {"type": "LIMIT_MAKER", "price": "70000"},
    "below": {"type": "STOP_LOSS_LIMIT", "stop_price": "60000", "price": "59900"},
}


@pytest.fixture
def user(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["BTC"], "0.5")
    return user


@pytest.fixture
def client(user, client_for):
    return client_for(user)


def btc(user) -> tuple[Decimal, Decimal]:
    row = Balance.objects.get(account__user=user, asset__code="BTC")
    return row.available, row.locked


def test_an_oco_holds_its_quantity_once_and_answers_both_legs(client, user):
    answer = client.post(OCO, SELL_OCO, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["contingency_type"], body["list_status_type"], body["list_order_status"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    below, above = body["orders"]
    assert (below["type"], below["status"], below["locked"]) == (
        "STOP_LOSS_LIMIT",
        "PENDING_TRIGGER",
        "0.5",
    )
    assert (above["type"], above["status"], above["locked"]) == ("LIMIT_MAKER", "NEW", "0")
    assert btc(user) == (Decimal(0), Decimal("0.5"))
    assert client.get(f"/api/v1/order-lists/{body['id']}").json() == body
    # cancel: both legs asked to cancel (the engine cancels the other leg itself)
    canceled = client.post(f"/api/v1/order-lists/{body['id']}/cancel")
    assert canceled.status_code == 202
    assert [o["cancel_requested"] for o in canceled.json()["orders"]] == [True, True]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"above": {"type": "LIMIT_MAKER", "price": "59000"}}, 400, "INVALID_LIST_PRICES"),
        ({"above": {"type": "STOP_LOSS", "stop_price": "70000"}}, 400, "INVALID_LIST_TYPE"),
        ({"below": {"type": "LIMIT_MAKER", "price": "60000"}}, 400, "INVALID_LIST_TYPE"),
        ({"quantity": "0.6"}, 400, "INSUFFICIENT_BALANCE"),
        ({"symbol": "NOPE"}, 404, "UNKNOWN_SYMBOL"),
    ],
)
def test_a_bad_oco_changes_nothing(client, change, status, code):
    before = rows_snapshot()
    answer = client.post(OCO, {**SELL_OCO, **change}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert rows_snapshot() == before
    assert not OrderList.objects.exists() and not Order.objects.exists()


def test_a_list_of_another_user_is_not_found(client, make_user, client_for):
    body = client.post(OCO, SELL_OCO, format="json").json()
    other = client_for(make_user())
    answer = other.get(f"/api/v1/order-lists/{body['id']}")
    assert (answer.status_code, answer.json()["code"]) == (404, "ORDER_LIST_NOT_FOUND")
