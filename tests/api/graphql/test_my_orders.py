"""`me { orders }` and `me { trades }`: filters, cursor pages, own data only, no N+1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from tests.api.graphql.conftest import error_codes
from tests.pipeline import drain, running_engine

ORDERS = """
query ($market: String, $status: [OrderStatus!], $open: Boolean, $side: OrderSide,
       $first: Int, $after: String) {
  me { orders(market: $market, status: $status, open: $open, side: $side,
              first: $first, after: $after) {
    edges { cursor node { id clientOrderId side status } }
    pageInfo { hasNextPage endCursor }
  } }
}
"""
ORDERS_WITH_TRADES = """
{ me { orders(first: 100) { edges { node {
    id market { symbol baseAsset quoteAsset }
    trades { id side isMaker price quantity commission commissionAsset market { symbol quoteAsset } }
} } } } }
"""
MY_TRADES = """
query ($market: String) { me { trades(market: $market) {
  id orderId side isMaker price quantity quoteQuantity commission commissionAsset
  market { symbol baseAsset }
} } }
"""


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "100000")
    fund(user, assets["BTC"], "10")
    return user


def order(user, side: str, client_order_id: str, price: str = "100") -> Order:
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT",
            side=side,
            type="LIMIT",
            price=price,
            quantity="0.1",
            client_order_id=client_order_id,
        ),
    )


def ids(answer) -> list[str]:
    return [e["node"]["clientOrderId"] for e in answer["data"]["me"]["orders"]["edges"]]


def test_orders_newest_first_in_cursor_pages(as_user, trader):
    for n in range(5):
        order(trader, "BUY", f"o-{n}")
    client = as_user(trader)
    first = client(ORDERS, {"first": 2})
    assert ids(first) == ["o-4", "o-3"]
    info = first["data"]["me"]["orders"]["pageInfo"]
    assert info["hasNextPage"] is True
    assert info["endCursor"] == first["data"]["me"]["orders"]["edges"][-1]["cursor"]
    second = client(ORDERS, {"first": 2, "after": info["endCursor"]})
    third = client(
        ORDERS, {"first": 2, "after": second["data"]["me"]["orders"]["pageInfo"]["endCursor"]}
    )
    assert (ids(second), ids(third)) == (["o-2", "o-1"], ["o-0"])
    assert third["data"]["me"]["orders"]["pageInfo"]["hasNextPage"] is False


def test_orders_filters(as_user, trader):
    order(trader, "BUY", "buy-open")
    order(trader, "SELL", "sell-open", price="200")
    done = order(trader, "BUY", "buy-done")
    Order.objects.filter(pk=done.pk).update(status=OrderStatus.CANCELED, locked_remaining=0)
    client = as_user(trader)
    assert ids(client(ORDERS, {"side": "SELL"})) == ["sell-open"]
    assert ids(client(ORDERS, {"open": True})) == ["sell-open", "buy-open"]
    assert ids(client(ORDERS, {"status": ["CANCELED"]})) == ["buy-done"]
    assert ids(client(ORDERS, {"market": "btcusdt", "side": "BUY"})) == ["buy-done", "buy-open"]


def test_orders_bad_page_arguments_are_errors_with_codes(as_user, trader):
    client = as_user(trader)
    assert error_codes(client(ORDERS, {"after": "!!"})) == ["INVALID_CURSOR"]
    assert error_codes(client(ORDERS, {"first": 0})) == ["INVALID_LIMIT"]
    assert error_codes(client(ORDERS, {"market": "NOPE"})) == ["UNKNOWN_SYMBOL"]


def test_user_cannot_read_another_users_orders(as_user, trader, make_user):
    order(trader, "BUY", "mine")
    answer = as_user(make_user())(ORDERS, {})
    assert answer["data"]["me"]["orders"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


def test_read_key_can_list_orders(as_key, trader):
    order(trader, "BUY", "k-1")
    assert ids(as_key(trader, ["read"])(ORDERS, {})) == ["k-1"]


@pytest.fixture
def traded(redis_client, make_user, assets, fund, btcusdt):
    """alice rests ``n`` asks; bob's buys fill each of them in two trades."""

    def make(n: int):
        alice, bob = make_user(), make_user()
        fund(alice, assets["BTC"], "10")
        fund(bob, assets["USDT"], "100000")
        with running_engine(["BTCUSDT"]):
            for i in range(n):
                order(alice, "SELL", f"a-{i}", price=str(100 + i))
            for i in range(n):
                for half in range(2):
                    place_order(
                        user=bob,
                        request=OrderRequest.parse(
                            symbol="BTCUSDT",
                            side="BUY",
                            type="LIMIT",
                            price=str(100 + i),
                            quantity="0.05",
                            client_order_id=f"b-{i}-{half}",
                        ),
                    )
            drain("BTCUSDT")
        return alice, bob

    return make


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("n", [2, 20])
def test_orders_with_trades_query_count_does_not_grow(
    traded, as_user, n, django_assert_max_num_queries
):
    # given n filled orders with two trades each
    alice, _ = traded(n)
    client = as_user(alice)
    # when alice reads her orders with their markets and trades
    # then: token auth 1, orders page 1 with its markets and locked assets 2 (a union of
    # the two order tables, ADR 0050), markets 1, trades 1
    with django_assert_max_num_queries(6):
        answer = client(ORDERS_WITH_TRADES)
    assert "errors" not in answer, answer["errors"]
    orders = answer["data"]["me"]["orders"]["edges"]
    assert len(orders) == n
    newest = orders[0]["node"]
    assert newest["market"] == {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT"}
    assert [
        (t["side"], t["isMaker"], t["price"], t["quantity"], t["commission"], t["commissionAsset"])
        for t in newest["trades"]
    ] == [
        (
            "SELL",
            True,
            str(100 + n - 1),
            "0.05",
            str(Decimal(100 + n - 1) * Decimal("0.00005")),
            "USDT",
        )
    ] * 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("n", [2, 20])
def test_my_trades_query_count_does_not_grow(
    traded, as_user, make_user, n, django_assert_max_num_queries
):
    _, bob = traded(n)
    assert as_user(make_user())(MY_TRADES, {}) == {"data": {"me": {"trades": []}}}
    client = as_user(bob)
    # token auth 1, the market filter 1, trades 1, markets 1
    with django_assert_max_num_queries(4):
        answer = client(MY_TRADES, {"market": "BTCUSDT"})
    assert "errors" not in answer, answer["errors"]
    trades = answer["data"]["me"]["trades"]
    assert len(trades) == 2 * n
    first = trades[0]
    assert {k: first[k] for k in ("side", "isMaker", "price", "quantity", "quoteQuantity")} == {
        "side": "BUY",
        "isMaker": False,
        "price": "100",
        "quantity": "0.05",
        "quoteQuantity": "5",
    }
    assert (first["commission"], first["commissionAsset"]) == ("0.0001", "BTC")
    assert first["market"] == {"symbol": "BTCUSDT", "baseAsset": "BTC"}
    assert first["orderId"] == str(Order.objects.get(client_order_id="b-0-0").pk)
