"""Retries never double an order: the held client order id, the window, the first order back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from exchange.core.errors import DomainError
from exchange.orders.client_ids import do_release_client_order_ids
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.orders.retries import place_order_once

BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "60000", "quantity": "0.001"}


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    fund(user, assets["BTC"], "1")
    return user


def test_a_repeat_with_the_same_parameters_returns_the_first_order(trader):
    # given an order placed with a client order id
    first, created = place_order_once(
        user=trader, request=OrderRequest.parse(client_order_id="bot-1", **BUY)
    )
    # when the same order is sent again (a retry after a lost answer)
    again, created_again = place_order_once(
        user=trader, request=OrderRequest.parse(client_order_id="bot-1", **BUY)
    )
    # then it is the same order, and only one exists
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Order.objects.filter(user=trader, client_order_id="bot-1").count() == 1


def test_the_same_parameters_written_differently_are_the_same_order(trader):
    place_order_once(user=trader, request=OrderRequest.parse(client_order_id="bot-1", **BUY))
    again, created = place_order_once(
        user=trader,
        request=OrderRequest.parse(
            client_order_id="bot-1", **{**BUY, "price": "60000.00", "time_in_force": "gtc"}
        ),
    )
    assert created is False


@pytest.mark.parametrize(
    "change",
    [{"price": "59000"}, {"quantity": "0.002"}, {"side": "SELL"}, {"time_in_force": "IOC"}],
)
def test_a_repeat_with_other_parameters_is_a_duplicate(trader, change):
    place_order_once(user=trader, request=OrderRequest.parse(client_order_id="bot-1", **BUY))
    with pytest.raises(DomainError) as excinfo:
        place_order_once(
            user=trader, request=OrderRequest.parse(client_order_id="bot-1", **{**BUY, **change})
        )
    assert excinfo.value.code == "DUPLICATE_CLIENT_ORDER_ID"
    assert Order.objects.filter(user=trader, client_order_id="bot-1").count() == 1


def test_another_users_id_is_not_a_duplicate(trader, make_user, assets, fund):
    other = make_user()
    fund(other, assets["USDT"], "1000")
    place_order_once(user=trader, request=OrderRequest.parse(client_order_id="bot-1", **BUY))
    _, created = place_order_once(
        user=other, request=OrderRequest.parse(client_order_id="bot-1", **BUY)
    )
    assert created is True


def test_a_closed_order_holds_its_id_for_the_window(trader, settings):
    # given a canceled order created 23 hours ago and one created 25 hours ago
    settings.ORDER_CLIENT_ID_WINDOW_HOURS = 24
    recent, _ = place_order_once(
        user=trader, request=OrderRequest.parse(client_order_id="recent", **BUY)
    )
    old, _ = place_order_once(user=trader, request=OrderRequest.parse(client_order_id="old", **BUY))
    now = timezone.now()
    Order.objects.filter(pk=recent.pk).update(
        status=OrderStatus.CANCELED, created_at=now - dt.timedelta(hours=23)
    )
    Order.objects.filter(pk=old.pk).update(
        status=OrderStatus.CANCELED, created_at=now - dt.timedelta(hours=25)
    )
    # when the release sweep runs
    released = do_release_client_order_ids(now=now)
    # then only the older id is free again
    assert released == 1
    assert not Order.objects.get(pk=recent.pk).client_id_released
    with pytest.raises(DomainError):
        place_order_once(
            user=trader,
            request=OrderRequest.parse(client_order_id="recent", **{**BUY, "quantity": "0.002"}),
        )
    _, created = place_order_once(
        user=trader, request=OrderRequest.parse(client_order_id="old", **BUY)
    )
    assert created is True


def test_an_open_order_holds_its_id_past_the_window(trader):
    order, _ = place_order_once(user=trader, request=OrderRequest.parse(client_order_id="a", **BUY))
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    assert do_release_client_order_ids() == 0
    _, created = place_order_once(
        user=trader, request=OrderRequest.parse(client_order_id="a", **BUY)
    )
    assert created is False
