"""Native order history, /api/v3/allOrders and GraphQL answer the same after closed
orders move to their history table (ADR 0050)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from api.rest.accounts.tokens import issue_token
from exchange.orders.closed_orders import do_move_closed_orders
from exchange.orders.models import ClosedOrder, OrderStatus
from tests.api.graphql.conftest import Caller
from tests.exchange.retention.history import order_at

ORDERS = "{ me { orders(first: 100) { edges { node { id clientOrderId side status } } } } }"


def test_every_surface_answers_the_same_after_the_move(
    settings, make_user, btcusdt, client_for, signed_client
) -> None:
    # given a trader with orders closed ten days ago and one open
    settings.ORDER_HISTORY_DAYS = 7
    trader = make_user()
    old = timezone.now() - dt.timedelta(days=10)
    closed = [
        order_at(btcusdt, trader, old + dt.timedelta(minutes=n), status)
        for n, status in enumerate([OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED])
    ]
    order_at(btcusdt, trader, timezone.now(), OrderStatus.NEW)
    native, binance = client_for(trader), signed_client(trader, "read")
    graphql = Caller(Client(), token=issue_token(user=trader))

    def answers() -> dict[str, object]:
        return {
            "native list": native.get("/api/v1/orders").json(),
            "native one": native.get(f"/api/v1/orders/{closed[0].pk}").json(),
            "allOrders": binance.get("/api/v3/allOrders", {"symbol": "BTCUSDT"}).json(),
            "order": binance.get(
                "/api/v3/order", {"symbol": "BTCUSDT", "orderId": closed[1].pk}
            ).json(),
            "graphql": graphql(ORDERS),
        }

    before = answers()
    # when the closed orders move to the history
    assert do_move_closed_orders() == 3
    assert ClosedOrder.objects.count() == 3
    # then every surface answers exactly as before
    assert answers() == before
    assert [o["status"] for o in before["allOrders"]] == ["FILLED", "CANCELED", "EXPIRED", "NEW"]
    assert len(before["graphql"]["data"]["me"]["orders"]["edges"]) == 4
    assert before["native one"]["status"] == "FILLED"
    assert len(before["native list"]["results"]) == 4
