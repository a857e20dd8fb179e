"""Mutations `cancelOrder` and `cancelAllOrders`: own orders only, through the real engine."""

from __future__ import annotations

import pytest

from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from matching_client import input_stream
from tests.api.graphql.conftest import error_codes
from tests.pipeline import drain, running_engine

CANCEL = """
mutation ($symbol: String, $orderId: ID, $clientOrderId: String) {
  cancelOrder(symbol: $symbol, orderId: $orderId, clientOrderId: $clientOrderId) {
    order { id status }
    errors { code field message }
  }
}
"""
CANCEL_ALL = """
mutation ($symbol: String!) {
  cancelAllOrders(symbol: $symbol) { orders { id clientOrderId } errors { code field } }
}
"""


@pytest.fixture
def alice_and_bob(redis_client, make_user, assets, fund, btcusdt):
    # redis_client first: it empties Redis, and creating the market announces it there
    alice, bob = make_user(), make_user()
    for user in (alice, bob):
        fund(user, assets["USDT"], "1000")
    return alice, bob


def buy(user, client_order_id: str) -> Order:
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            price="100",
            quantity="0.1",
            client_order_id=client_order_id,
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_cancel_reaches_the_engine_and_clearing_cancels(as_user, alice_and_bob, redis_client):
    alice, _ = alice_and_bob
    with running_engine(["BTCUSDT"]):
        order = buy(alice, "a-1")
        drain("BTCUSDT")
        # when
        answer = as_user(alice)(CANCEL, {"symbol": "BTCUSDT", "orderId": str(order.pk)})
        drain("BTCUSDT")
    # then the mutation answered with the order as it was, and clearing canceled it
    assert answer == {
        "data": {"cancelOrder": {"order": {"id": str(order.pk), "status": "NEW"}, "errors": []}}
    }
    order.refresh_from_db()
    assert (order.status, order.locked_remaining) == (OrderStatus.CANCELED, 0)


def test_cancel_by_client_order_id(as_user, alice_and_bob, redis_client):
    alice, _ = alice_and_bob
    order = buy(alice, "a-2")
    answer = as_user(alice)(CANCEL, {"symbol": "BTCUSDT", "clientOrderId": "a-2"})
    assert answer["data"]["cancelOrder"]["order"]["id"] == str(order.pk)
    order.refresh_from_db()
    assert order.cancel_requested_at is not None


def test_cancel_without_symbol_finds_the_order_in_any_market(as_user, alice_and_bob, redis_client):
    alice, _ = alice_and_bob
    order = buy(alice, "a-7")
    answer = as_user(alice)(CANCEL, {"orderId": str(order.pk)})
    assert answer["data"]["cancelOrder"]["order"]["id"] == str(order.pk)


def test_user_cannot_cancel_another_users_order(as_user, alice_and_bob, redis_client):
    # given bob's open order
    alice, bob = alice_and_bob
    order = buy(bob, "b-1")
    # when alice tries to cancel it by id and by client order id
    by_id = as_user(alice)(CANCEL, {"symbol": "BTCUSDT", "orderId": str(order.pk)})
    by_client_id = as_user(alice)(CANCEL, {"symbol": "BTCUSDT", "clientOrderId": "b-1"})
    # then it is unknown to her, and untouched
    for answer in (by_id, by_client_id):
        assert answer["data"]["cancelOrder"] == {
            "order": None,
            "errors": [
                {"code": "ORDER_NOT_FOUND", "field": None, "message": "Order does not exist."}
            ],
        }
    order.refresh_from_db()
    assert order.cancel_requested_at is None
    assert redis_client.xlen(input_stream("BTCUSDT")) == 0  # no CANCEL sent


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"symbol": "BTCUSDT"}, "MISSING_PARAMETER"),
        ({"symbol": "BTCUSDT", "orderId": "abc"}, "ORDER_NOT_FOUND"),
        ({"symbol": "BTCUSDT", "orderId": "²"}, "ORDER_NOT_FOUND"),  # isdigit() but not int()
        ({"symbol": "BTCUSDT", "orderId": "١٢"}, "ORDER_NOT_FOUND"),  # Arabic-Indic digits
        ({"symbol": "BTCUSDT", "orderId": "9223372036854775808"}, "ORDER_NOT_FOUND"),
        ({"symbol": "NOPE", "orderId": "1"}, "UNKNOWN_SYMBOL"),
    ],
)
def test_cancel_errors(as_user, alice_and_bob, variables, code):
    alice, _ = alice_and_bob
    answer = as_user(alice)(CANCEL, variables)
    assert [e["code"] for e in answer["data"]["cancelOrder"]["errors"]] == [code]


def test_cancel_of_a_finished_order_is_refused(as_user, alice_and_bob):
    alice, _ = alice_and_bob
    order = buy(alice, "a-3")
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELED, locked_remaining=0)
    answer = as_user(alice)(CANCEL, {"symbol": "BTCUSDT", "orderId": str(order.pk)})
    assert [e["code"] for e in answer["data"]["cancelOrder"]["errors"]] == ["ORDER_NOT_OPEN"]


def test_cancel_all_cancels_only_the_callers_orders(as_user, alice_and_bob, redis_client):
    alice, bob = alice_and_bob
    mine = [buy(alice, "a-4"), buy(alice, "a-5")]
    theirs = buy(bob, "b-2")
    answer = as_user(alice)(CANCEL_ALL, {"symbol": "BTCUSDT"})
    assert answer == {
        "data": {
            "cancelAllOrders": {
                "orders": [{"id": str(o.pk), "clientOrderId": o.client_order_id} for o in mine],
                "errors": [],
            }
        }
    }
    theirs.refresh_from_db()
    assert theirs.cancel_requested_at is None
    assert Order.objects.filter(user=alice, cancel_requested_at__isnull=False).count() == 2


def test_cancel_all_unknown_market(as_user, alice_and_bob):
    answer = as_user(alice_and_bob[0])(CANCEL_ALL, {"symbol": "NOPE"})
    assert answer["data"]["cancelAllOrders"] == {
        "orders": None,
        "errors": [{"code": "UNKNOWN_SYMBOL", "field": None}],
    }


def test_read_only_key_cannot_cancel(as_key, alice_and_bob):
    alice, _ = alice_and_bob
    order = buy(alice, "a-6")
    key = as_key(alice, ["read"])
    for query, variables in (
        (CANCEL, {"symbol": "BTCUSDT", "orderId": str(order.pk)}),
        (CANCEL_ALL, {"symbol": "BTCUSDT"}),
    ):
        assert error_codes(key(query, variables)) == ["PERMISSION_DENIED"]
    order.refresh_from_db()
    assert order.cancel_requested_at is None
