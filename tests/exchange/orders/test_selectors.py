"""Order and trade selectors: filters, cursor pages, and nobody sees another user's orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from exchange.core.errors import DomainError
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.orders.selectors import (
    access_order,
    fill_list_for_user,
    order_list,
    trade_list_for_user,
)


@pytest.fixture
def trader(make_user, assets, fund, btcusdt):
    user = make_user()
    fund(user, assets["USDT"], "10000")
    fund(user, assets["BTC"], "1")
    return user


def buy(user, price: str, **extra):
    return place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price=price, quantity="0.01", **extra
        ),
    )


def test_order_list_pages_and_filters(trader):
    # given five orders, two of them sells, one canceled
    orders = [buy(trader, str(50000 + i)) for i in range(3)]
    sells = [
        place_order(
            user=trader,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="SELL", type="LIMIT", price="70000", quantity="0.1"
            ),
        )
        for _ in range(2)
    ]
    Order.objects.filter(pk=orders[0].pk).update(status=OrderStatus.CANCELED)
    # when paging by two
    first = order_list(user=trader, limit=2)
    second = order_list(user=trader, cursor=first.next_cursor, limit=2)
    third = order_list(user=trader, cursor=second.next_cursor, limit=2)
    # then every order comes once, newest first
    ids = [o.pk for page in (first, second, third) for o in page.items]
    assert ids == [o.pk for o in reversed(orders + sells)]
    assert third.next_cursor is None
    assert [o.pk for o in order_list(user=trader, side="sell").items] == [
        sells[1].pk,
        sells[0].pk,
    ]
    assert [o.pk for o in order_list(user=trader, statuses=["CANCELED"]).items] == [orders[0].pk]
    assert len(order_list(user=trader, open_only=True).items) == 4
    later = timezone.now() + dt.timedelta(seconds=5)
    assert order_list(user=trader, start=later).items == []


def test_order_list_bad_filter_is_typed(trader):
    with pytest.raises(DomainError) as excinfo:
        order_list(user=trader, statuses=["DONE"])
    assert excinfo.value.code == "INVALID_FILTER"


def test_access_order_by_id_or_client_id_and_not_anothers(trader, make_user):
    order = buy(trader, "50000", client_order_id="mine-1")
    stranger = make_user()
    assert access_order(user=trader, order_id=order.pk) == order
    assert access_order(user=trader, client_order_id="mine-1", symbol="btcusdt") == order
    for kwargs in ({"order_id": order.pk}, {"client_order_id": "mine-1"}):
        with pytest.raises(DomainError) as excinfo:
            access_order(user=stranger, **kwargs)
        assert excinfo.value.code == "ORDER_NOT_FOUND"


def test_trade_list_for_user_is_empty_without_trades(trader, btcusdt):
    assert trade_list_for_user(user=trader) == []
    assert trade_list_for_user(user=trader, from_id=1, market=btcusdt) == []
    assert Decimal(0) == sum((t.qty for t in trade_list_for_user(user=trader)), Decimal(0))


def test_from_id_needs_a_market_because_trade_ids_are_per_market(trader):
    for select in (trade_list_for_user, fill_list_for_user):
        with pytest.raises(DomainError) as excinfo:
            select(user=trader, from_id=1)
        assert (excinfo.value.code, excinfo.value.fields) == (
            "MISSING_PARAMETER",
            {"symbol": "required"},
        )
