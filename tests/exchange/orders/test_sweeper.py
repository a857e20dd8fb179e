"""The sweeper re-sends what the engine never heard; the engine ignores what it did."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exchange.orders.actions import do_resend_unacknowledged, place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest
from exchange.reconciliation.checks import reconcile
from matching_client import input_stream
from tests.pipeline import drain, running_engine

pytestmark = pytest.mark.django_db(transaction=True)


def test_lost_append_is_resent_and_duplicates_are_ignored(
    redis_client, btcusdt, make_user, assets, fund
):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    order = place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    # given the PLACE never reached the stream (a crash between commit and append)
    stream = input_stream("BTCUSDT")
    place_ids = [eid for eid, _ in redis_client.xrange(stream)][
        2:
    ]  # after MARKET_CREATE and RESUME
    redis_client.xdel(stream, *place_ids)
    # when the sweeper runs twice (the second time re-sends a PLACE the engine will answer DUPLICATE)
    assert do_resend_unacknowledged(older_than=dt.timedelta(0)) == 1
    assert do_resend_unacknowledged(older_than=dt.timedelta(0)) == 0  # backing off
    assert do_resend_unacknowledged(older_than=dt.timedelta(0), backoff=dt.timedelta(0)) == 1
    with running_engine(["BTCUSDT"]):
        drain("BTCUSDT")
    # then the order was accepted exactly once and the sweeper has nothing left to do
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.NEW and order.accepted_at is not None
    assert order.locked_remaining == Decimal("100")
    assert do_resend_unacknowledged(older_than=dt.timedelta(0), backoff=dt.timedelta(0)) == 0
    assert reconcile().ok


def test_fresh_orders_are_left_alone(redis_client, btcusdt, make_user, assets, fund):
    user = make_user()
    fund(user, assets["USDT"], "1000")
    place_order(
        user=user,
        request=OrderRequest.parse(
            symbol="BTCUSDT", side="BUY", type="LIMIT", price="100", quantity="1"
        ),
    )
    assert do_resend_unacknowledged() == 0  # younger than the 3 s grace period
