"""Clearing's order rows: read locked, written back exactly, whatever the characters and NULLs.

On PostgreSQL each column goes as one array literal, so quoting is ours to get right.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from exchange.clearing.locked_orders import lock_orders, write_orders
from exchange.orders.actions import place_order
from exchange.orders.models import Order, OrderStatus
from exchange.orders.requests import OrderRequest

AWKWARD = ['a "quoted", {braced} \\ back', "", "NULL", " padded ", "tab\tand\nnewline"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
WHEN_MS = 1_795_262_400_123  # 2026-11-21 08:40:00.123 UTC
EARLIER = dt.datetime(2026, 11, 21, 8, 0, 0, 654321, tzinfo=dt.UTC)


@pytest.fixture
def orders(make_user, assets, fund, btcusdt) -> list[Order]:
    user = make_user()
    fund(user, assets["USDT"], "100000")
    placed = [
        place_order(
            user=user,
            request=OrderRequest.parse(
                symbol="BTCUSDT", side="BUY", type="LIMIT", price="50000", quantity="0.01"
            ),
        )
        for _ in AWKWARD
    ]
    Order.objects.filter(pk=placed[0].pk).update(accepted_at=EARLIER, done_at=EARLIER)
    return placed


def test_orders_are_read_as_stored_and_written_exactly(orders, btcusdt):
    ids = [o.pk for o in orders]
    with transaction.atomic():
        # given the orders read locked
        locked = lock_orders(ids, btcusdt)
        for stored in Order.objects.filter(pk__in=ids):
            order = locked[stored.pk]
            assert (order.user_id, order.price, order.orig_qty, order.locked_remaining) == (
                stored.user_id,
                stored.price,
                stored.orig_qty,
                stored.locked_remaining,
            )
            assert order.created_us == (stored.created_at - EPOCH) // dt.timedelta(microseconds=1)
            assert order.accepted == (stored.accepted_at is not None)
        # when clearing changes them: awkward text, exact decimals, some times unset
        for i, (pk, text) in enumerate(zip(ids, AWKWARD, strict=True)):
            order = locked[pk]
            order.status = OrderStatus.PARTIALLY_FILLED
            order.reject_reason = text
            order.executed_qty = Decimal("0.000000000000000001") * (i + 1)
            order.locked_remaining = Decimal(0)
            order.accepted_ms = WHEN_MS
            order.done_ms = None if i % 2 else WHEN_MS + i
            order.updated_ms = WHEN_MS + i
        write_orders(list(locked.values()))
    # then every row reads back exactly as written, a time already set kept
    when = EPOCH + dt.timedelta(milliseconds=WHEN_MS)
    stored = {o.pk: o for o in Order.objects.filter(pk__in=ids)}
    for i, pk in enumerate(ids):
        row, order = stored[pk], locked[pk]
        assert (row.status, row.reject_reason, row.executed_qty, row.locked_remaining) == (
            OrderStatus.PARTIALLY_FILLED,
            order.reject_reason,
            order.executed_qty,
            Decimal(0),
        )
        assert row.accepted_at == (EARLIER if i == 0 else when)
        done = EARLIER if i == 0 else None
        assert row.done_at == (done if i % 2 else when + dt.timedelta(milliseconds=i))
        assert row.updated_at == when + dt.timedelta(milliseconds=i)
