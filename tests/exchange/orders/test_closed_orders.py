"""Closed orders move to their history table and every order reader still finds them (ADR 0050).

Runs on both backends: a plain history table on SQLite, a partitioned one on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from exchange.orders.actions import do_cancel_order
from exchange.orders.amend import do_amend_order
from exchange.orders.closed_orders import do_move_closed_orders
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.history import order_history_for_user
from exchange.orders.lists import list_legs, order_lists_for_user
from exchange.orders.models import ClosedOrder, Order, OrderList, OrderStatus
from exchange.orders.requests import AmendRequest, CancelRequest
from exchange.orders.selectors import access_order, order_list, order_rows
from exchange.retention.tasks import move_closed_orders
from tests.exchange.retention.history import order_at

pytestmark = pytest.mark.django_db
CLOSED = [OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED]


def _columns(model: type[Order] | type[ClosedOrder], ids: list[int]) -> list[tuple]:
    return list(model.objects.filter(pk__in=ids).order_by("pk").values_list())


@pytest.fixture
def orders(make_user, btcusdt) -> dict[str, list[Order]]:
    """A trader's orders: closed ten days ago, closed yesterday, held, and open."""
    trader = make_user()
    now = timezone.now()
    old = now - dt.timedelta(days=10)
    oco = OrderList.objects.create(user=trader, market=btcusdt, list_client_order_id="oco-1")
    closed_long_ago = [order_at(btcusdt, trader, old, status) for status in CLOSED] + [
        order_at(btcusdt, trader, old, OrderStatus.FILLED, order_list=oco),
        order_at(btcusdt, trader, old, OrderStatus.EXPIRED, order_list=oco),
    ]
    held = order_at(btcusdt, trader, old, OrderStatus.CANCELED)
    Order.objects.filter(pk=held.pk).update(client_id_released=False)
    recent = [order_at(btcusdt, trader, now - dt.timedelta(days=2), OrderStatus.FILLED)]
    still_open = [
        order_at(btcusdt, trader, old, OrderStatus.NEW),
        order_at(btcusdt, trader, now, OrderStatus.PARTIALLY_FILLED),
    ]
    return {
        "moving": closed_long_ago,
        "staying": [held, *recent, *still_open],
        "trader": [trader],
        "oco": [oco],
    }


def test_orders_closed_before_the_history_days_move_whole_and_only_them(settings, orders) -> None:
    # given orders closed ten days ago, and others held, recent or open
    settings.ORDER_HISTORY_DAYS = 7
    moving = [order.pk for order in orders["moving"]]
    staying = [order.pk for order in orders["staying"]]
    rows = _columns(Order, moving)
    kept = _columns(Order, staying)
    # when the mover runs in batches of four, then again
    moved = do_move_closed_orders(batch=4)
    again = move_closed_orders()
    # then the six closed ten days ago are in the history, column for column, and only there
    assert (moved, again) == (6, 0)
    assert _columns(ClosedOrder, moving) == rows
    assert not Order.objects.filter(pk__in=moving).exists()
    # and the held, recent and open orders stayed untouched
    assert _columns(Order, staying) == kept
    assert not ClosedOrder.objects.filter(pk__in=staying).exists()


def _everything_read(trader, market, oco) -> dict[str, object]:
    """What each order reader answers, as comparable tuples."""

    def ids(rows) -> list[tuple]:
        return [(o.pk, o.status, o.client_order_id, o.market.symbol) for o in rows]

    pages, cursor = [], None
    while True:
        page = order_list(user=trader, cursor=cursor, limit=3)
        pages.append(ids(page.items))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    old = timezone.now() - dt.timedelta(days=11)
    every = order_rows(Q(user=trader), ordering=("id",))
    return {
        "native pages": pages,
        "native closed": ids(order_list(user=trader, statuses=["FILLED", "EXPIRED"]).items),
        "native by time": ids(
            order_list(user=trader, start=old, end=old + dt.timedelta(days=2)).items
        ),
        "allOrders": ids(order_history_for_user(user=trader, market=market)),
        "allOrders from id": ids(
            order_history_for_user(user=trader, market=market, from_order_id=every[2].pk)
        ),
        "allOrders by time": ids(
            order_history_for_user(
                user=trader, market=market, start_ms=int(old.timestamp() * 1000), limit=4
            )
        ),
        "by id": [ids([access_order(user=trader, order_id=o.pk)]) for o in every],
        "by client id": [
            ids([access_order(user=trader, client_order_id=o.client_order_id)]) for o in every
        ],
        "legs": ids(list_legs(oco)),
        "lists": [(found.pk, ids(legs)) for found, legs in order_lists_for_user(user=trader)],
    }


def test_every_reader_answers_the_same_before_and_after_the_move(settings, orders, btcusdt) -> None:
    # given what every order reader answers before the move
    settings.ORDER_HISTORY_DAYS = 7
    (trader,), (oco,) = orders["trader"], orders["oco"]
    before = _everything_read(trader, btcusdt, oco)
    # when the closed orders move
    assert do_move_closed_orders() == 6
    # then every reader answers exactly the same, from both tables
    after = _everything_read(trader, btcusdt, oco)
    assert after == before
    assert len(before["native pages"]) == 4  # ten orders, three a page
    assert [leg[1] for leg in after["legs"]] == ["FILLED", "EXPIRED"]


def test_a_moved_order_is_refused_as_closed_by_cancel_and_amend(settings, orders) -> None:
    # given a FILLED order moved to the history
    settings.ORDER_HISTORY_DAYS = 7
    do_move_closed_orders()
    (trader,), filled = orders["trader"], orders["moving"][0]
    # when it is cancelled or amended, then the answers are those of a closed order
    with pytest.raises(OrderError) as cancel:
        do_cancel_order(user=trader, request=CancelRequest.parse(order_id=filled.pk))
    request = AmendRequest.parse(symbol="BTCUSDT", new_qty="0.001", order_id=filled.pk)
    with pytest.raises(OrderError) as amend:
        do_amend_order(user=trader, request=request)
    assert (cancel.value.code, amend.value.code) == (
        OrderErrorCode.ORDER_NOT_OPEN,
        OrderErrorCode.ORDER_NOT_FOUND,
    )
    # and nothing was written to either table
    assert not Order.objects.filter(pk=filled.pk).exists()
    assert ClosedOrder.objects.get(pk=filled.pk).cancel_requested_at is None
