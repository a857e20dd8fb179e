"""REST my-trades: each user sees their own side of a match, in a bounded number of queries."""

from __future__ import annotations

import pytest

from tests.api.rest.conftest import error
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)

MY_TRADES = "/api/v1/my-trades"


@pytest.fixture
def matched(redis_client, make_user, assets, fund, btcusdt, client_for):
    """Alice rests two sells, Bob takes them with one buy; both settled by the real engine."""
    alice, bob = make_user(), make_user()
    fund(alice, assets["BTC"], "1")
    fund(bob, assets["USDT"], "10000")
    sell = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.01"}
    with running_engine(["BTCUSDT"]):
        asks = [
            client_for(alice).post("/api/v1/orders", {**sell, "price": p}, format="json").json()
            for p in ("60000", "60001")
        ]
        drain("BTCUSDT")
        buy = (
            client_for(bob)
            .post(
                "/api/v1/orders",
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "type": "LIMIT",
                    "price": "60001",
                    "quantity": "0.02",
                },
                format="json",
            )
            .json()
        )
        drain("BTCUSDT")
    return alice, bob, asks, buy


def test_each_side_sees_its_own_fills(matched, client_for):
    alice, bob, asks, buy = matched
    # when each reads their trades
    mine = client_for(alice).get(MY_TRADES).json()
    theirs = client_for(bob).get(MY_TRADES, {"symbol": "BTCUSDT"}).json()
    # then alice sold as maker, paying 0.1% in USDT; bob bought as taker, paying 0.2% in BTC
    assert [
        (
            t["order_id"],
            t["side"],
            t["is_maker"],
            t["price"],
            t["qty"],
            t["commission"],
            t["commission_asset"],
        )
        for t in mine
    ] == [
        (asks[0]["id"], "SELL", True, "60000", "0.01", "0.6", "USDT"),
        (asks[1]["id"], "SELL", True, "60001", "0.01", "0.60001", "USDT"),
    ]
    assert [
        (t["order_id"], t["side"], t["is_maker"], t["commission"], t["commission_asset"])
        for t in theirs
    ] == [
        (buy["id"], "BUY", False, "0.00002", "BTC"),
        (buy["id"], "BUY", False, "0.00002", "BTC"),
    ]
    assert [t["id"] for t in theirs] == [t["id"] for t in mine]


def test_filters_by_order_from_id_and_limit(matched, client_for):
    alice, bob, asks, buy = matched
    client = client_for(alice)
    by_order = client.get(MY_TRADES, {"order_id": asks[1]["id"]}).json()
    assert [t["price"] for t in by_order] == ["60001"]
    first_id = client.get(MY_TRADES).json()[0]["id"]
    assert [
        t["price"]
        for t in client.get(MY_TRADES, {"from_id": first_id + 1, "symbol": "BTCUSDT"}).json()
    ] == ["60001"]
    assert [t["price"] for t in client.get(MY_TRADES, {"limit": 1}).json()] == ["60001"]
    # another user's order is not found, and another user sees no trades
    assert error(client_for(bob).get(MY_TRADES, {"order_id": asks[0]["id"]})) == (
        404,
        "ORDER_NOT_FOUND",
    )


def test_strangers_see_nothing_and_queries_are_bounded(
    matched, make_user, client_for, django_assert_max_num_queries
):
    alice, *_ = matched
    assert client_for(make_user()).get(MY_TRADES).json() == []
    client = client_for(alice)
    with django_assert_max_num_queries(2):  # token, trades with market and commission assets
        assert len(client.get(MY_TRADES).json()) == 2
