"""The closed-order mover on the partitioned history (PostgreSQL, ADR 0050).

The mover files an order by its ``created_at``, which may be months before it
closed. The history's months are created ahead from the migration on, so an
older order would wait in the default partition for good: before each run,
the months the movable orders were created in get their partitions, except
archived ones, whose orders stay in ``orders_order`` (moved, they would stop
the month's restore, whose attach finds them in the default).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from exchange.orders.closed_orders import do_move_closed_orders, movable_created_span
from exchange.retention.archive import is_archived
from exchange.retention.months import Month, months_between
from exchange.retention.partitions import (
    CLOSED_ORDERS,
    create_partition,
    is_partitioned,
    monthly_partitions,
)


def move_closed_orders_into_months(*, now: dt.datetime | None = None) -> int:
    """Create the history months the movable orders need, then move them; returns how many."""
    if connection.vendor != "postgresql" or not is_partitioned(connection, CLOSED_ORDERS.table):
        return do_move_closed_orders(now=now)
    span = movable_created_span(now=now)
    if span is None:
        return 0
    keep = []
    attached = monthly_partitions(CLOSED_ORDERS)
    for month in months_between(Month.of(span[0]), Month.of(span[1])):
        if month in attached:
            continue
        if is_archived(CLOSED_ORDERS, month):
            keep.append((month.start, month.plus(1).start))
        else:
            create_partition(CLOSED_ORDERS, month)
    return do_move_closed_orders(now=now, keep=keep)
