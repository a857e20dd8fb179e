"""wait_for_orders: the orders as clearing left them, waiting at most the bound."""

from __future__ import annotations

import pytest

from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.outcome import accepted, closed, wait_for_orders
from exchange.orders.requests import OrderRequest
from tests.pipeline import drain, running_engine


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    return user


@pytest.mark.django_db(transaction=True)
def test_returns_the_cleared_state_once_the_engine_answered(redis_client, trader):
    # given an order the engine accepted and clearing recorded
    with running_engine(["BTCUSDT"]):
        order = place_order(
            user=trader,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.1"
            ),
        )
        drain("BTCUSDT")

    # when
    [current] = wait_for_orders([order], until=accepted, timeout=5)

    # then the fresh row, not the object passed in
    assert order.accepted_at is None
    assert current.pk == order.pk and current.accepted_at is not None
    assert current.status == OrderStatus.NEW


@pytest.mark.django_db(transaction=True)
def test_returns_the_current_state_when_the_bound_passes(redis_client, trader):
    # given an order no engine has answered
    order = place_order(
        user=trader,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="0.1"
        ),
    )

    # when
    [current] = wait_for_orders([order], until=closed, timeout=0.05)

    # then
    assert current.status == OrderStatus.NEW and current.accepted_at is None
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_nothing_to_wait_for():
    assert wait_for_orders([], until=closed) == []
