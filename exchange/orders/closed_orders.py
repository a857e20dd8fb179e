"""Move closed orders out of ``orders_order`` into the closed-order history (ADR 0050).

``orders_order`` keeps open orders and those closed less than
``ORDER_HISTORY_DAYS`` ago: the rows clearing updates, the held client order
ids (released after a day, ADR 0028) and the partial indexes of open orders
stay small. An order closed (FILLED, CANCELED, EXPIRED, REJECTED) before that,
its client order id released and nothing left locked, moves whole, same id,
into ``orders_order_history``: partitioned by ``created_at`` month on
PostgreSQL, created ahead and archived like the other history tables, a plain
table on SQLite. ``selectors.order_rows`` reads both.

Nothing keyed into ``orders_order`` by the database follows an order: trades
name their orders by id (ADR 0008), as do ``replaces``, amendments and an OCO's
list (its legs close in one engine step, and the reader reads both tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from exchange.orders.models import CLOSED_STATUSES, ClosedOrder, Order

MOVE_BATCH = 5_000


def history_after() -> dt.timedelta:
    return dt.timedelta(days=float(settings.ORDER_HISTORY_DAYS))


def _movable(cutoff: dt.datetime) -> Q:
    closed_before = Q(done_at__lt=cutoff) | Q(done_at__isnull=True, created_at__lt=cutoff)
    return (
        Q(status__in=CLOSED_STATUSES, client_id_released=True, locked_remaining=0) & closed_before
    )


def movable_created_span(
    *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and last ``created_at`` of the orders the mover would move now."""
    cutoff = (now or timezone.now()) - history_after()
    span = Order.objects.filter(_movable(cutoff)).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    if span["first"] is None:
        return None
    return span["first"], span["last"]


def do_move_closed_orders(
    *,
    now: dt.datetime | None = None,
    batch: int = MOVE_BATCH,
    keep: Sequence[tuple[dt.datetime, dt.datetime]] = (),
) -> int:
    """Move the orders closed before ``ORDER_HISTORY_DAYS`` ago; returns how many.

    Orders created in a ``keep`` span ([start, end)) stay: on PostgreSQL, the
    archived months of the history, where a moved order would wait in the
    default partition and stop the month's restore (``exchange.retention``).
    One transaction per ``batch``: the rows are copied column by column and
    deleted, so an order is in exactly one of the two tables at every commit.
    """
    cutoff = (now or timezone.now()) - history_after()
    movable = _movable(cutoff)
    for start, end in keep:
        movable &= ~Q(created_at__gte=start, created_at__lt=end)
    names = [field.column for field in Order._meta.concrete_fields if field.column]
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    moved = 0
    while True:
        with transaction.atomic():
            ids = list(
                Order.objects.select_for_update(skip_locked=True)
                .filter(movable)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return moved
            marks = ", ".join(["%s"] * len(ids))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {ClosedOrder._meta.db_table} ({columns})"  # noqa: S608
                    f" SELECT {columns} FROM {Order._meta.db_table} WHERE id IN ({marks})",
                    ids,
                )
                cursor.execute(
                    f"DELETE FROM {Order._meta.db_table} WHERE id IN ({marks})",  # noqa: S608
                    ids,
                )
        moved += len(ids)
        if len(ids) < batch:
            return moved
