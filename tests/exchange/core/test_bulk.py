"""bulk_update_fields writes exactly what the objects hold, whatever the characters and NULLs.

On PostgreSQL each column goes as one array literal, so quoting is ours to get right.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exchange.core.bulk import array_literal, bulk_update_fields
from exchange.orders.actions import place_order
from exchange.orders.models import Order

AWKWARD = ['a "quoted", {braced} \\ back', "", "NULL", " padded ", "tab\tand\nnewline"]


@pytest.fixture
def orders(make_user, assets, fund, btcusdt) -> list[Order]:
    user = make_user()
    fund(user, assets["USDT"], "100000")
    return [
        place_order(
            user=user, symbol="BTCUSDT", side="BUY", type="LIMIT", price="50000", quantity="0.01"
        )
        for _ in AWKWARD
    ]


def test_bulk_update_writes_awkward_values_exactly(orders):
    # given orders holding awkward text, exact decimals, NULL and aware datetimes
    when = dt.datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=dt.UTC)
    for i, (order, text) in enumerate(zip(orders, AWKWARD, strict=True)):
        order.reject_reason = text
        order.executed_qty = Decimal("0.000000000000000001") * (i + 1)
        order.accepted_at = None if i % 2 else when
    # when they are written in one statement
    bulk_update_fields(orders, ["reject_reason", "executed_qty", "accepted_at"])
    # then every row reads back exactly as written
    stored = {o.pk: o for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    for order in orders:
        row = stored[order.pk]
        assert (row.reject_reason, row.executed_qty, row.accepted_at) == (
            order.reject_reason,
            order.executed_qty,
            order.accepted_at,
        )


def test_array_literal_refuses_what_it_cannot_write():
    assert array_literal([1, None, True, Decimal("1E-18")]) == "{1,NULL,t,0.000000000000000001}"
    with pytest.raises(ValueError, match="naive"):
        array_literal([dt.datetime(2026, 1, 1)])  # noqa: DTZ001
    with pytest.raises(TypeError):
        array_literal([1.5])
