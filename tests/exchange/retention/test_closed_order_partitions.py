"""The closed-order history by month on PostgreSQL: pruned reads, archive and restore (ADR 0050)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q

from exchange.orders.closed_orders import do_move_closed_orders
from exchange.orders.history import order_history_for_user
from exchange.orders.models import ClosedOrder, Order, OrderStatus
from exchange.orders.selectors import order_list, order_rows_query
from exchange.retention.closed_order_months import move_closed_orders_into_months
from exchange.retention.months import Month
from exchange.retention.partitions import CLOSED_ORDERS, create_partition, monthly_partitions
from tests.exchange.retention.history import order_at, partition_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
UTC = dt.UTC
JAN, FEB = Month(2020, 1), Month(2020, 2)


@pytest.fixture
def moved(settings, tmp_path, make_user, btcusdt) -> dict[str, object]:
    """Orders of January and February 2020, closed and moved to the history."""
    settings.ARCHIVE_DIR = tmp_path
    settings.ORDER_HISTORY_DAYS = 7
    create_partition(CLOSED_ORDERS, JAN), create_partition(CLOSED_ORDERS, FEB)
    trader = make_user()
    statuses = [OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED]
    for day in (3, 17, 31):
        for month in (1, 2):
            if (month, day) != (2, 31):
                when = dt.datetime(2020, month, day, 23, 59, 59, 999999, tzinfo=UTC)
                order_at(btcusdt, trader, when, statuses[day % 3])
    order_at(btcusdt, trader, dt.datetime.now(UTC), OrderStatus.NEW)
    assert do_move_closed_orders() == 5
    with connection.cursor() as cursor:  # the move's commit checks the keys (not a test's)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return {"trader": trader, "rows": _history()}


def _history() -> list[tuple]:
    return list(ClosedOrder.objects.order_by("id").values_list())


def _relations(plan: object) -> set[str]:
    if isinstance(plan, list):
        return set().union(*(_relations(item) for item in plan))
    if isinstance(plan, dict):
        found = {plan["Relation Name"]} if "Relation Name" in plan else set()
        return found.union(*(_relations(value) for value in plan.values()))
    return set()


def test_moved_orders_are_in_their_months_partitions(moved) -> None:
    assert partition_of("orders_order_history", "created_at < %s", [FEB.start]) == [
        "orders_order_history_p2020_01"
    ]
    assert partition_of("orders_order_history", "true", []) == [
        "orders_order_history_p2020_01",
        "orders_order_history_p2020_02",
    ]
    assert list(Order.objects.values_list("status", flat=True)) == ["NEW"]


def test_a_time_bounded_read_touches_only_its_month_of_history(moved, btcusdt) -> None:
    # given the reader's query of February (as allOrders with startTime and endTime sends it)
    where = Q(user=moved["trader"], created_at__gte=FEB.start, created_at__lt=FEB.plus(1).start)
    query = order_rows_query(where, ordering=("id",), limit=500)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    # then it reads orders_order and February's history partition, no other month
    tables = _relations(plan if isinstance(plan, list) else json.loads(plan))
    assert tables == {"orders_order", "orders_order_history_p2020_02"}
    assert [o.created_at.month for o in query] == [2, 2]


def test_archive_and_restore_round_trip_the_moved_orders(moved, btcusdt) -> None:
    trader = moved["trader"]
    before = [o.pk for o in order_history_for_user(user=trader, market=btcusdt)]
    # when January is archived
    out = StringIO()
    call_command("archive", "--before", "2020-02", stdout=out)
    # then its three orders left the database, February's stayed, and the readers say so
    assert "archived orders_order_history_p2020_01: 3 rows" in out.getvalue()
    assert JAN not in monthly_partitions(CLOSED_ORDERS)
    january = [row for row in moved["rows"] if _created(row).month == 1]
    assert _history() == [row for row in moved["rows"] if row not in january]
    assert len(order_list(user=trader).items) == len(before) - 3
    # when it is restored
    call_command("archive", "--restore", "orders_order_history", "2020-01", stdout=StringIO())
    # then every row is back exactly, and the readers answer as before
    assert _history() == moved["rows"]
    assert [o.pk for o in order_history_for_user(user=trader, market=btcusdt)] == before


def _created(row: tuple) -> dt.datetime:
    names = [field.attname for field in ClosedOrder._meta.concrete_fields]
    return row[names.index("created_at")]


def test_beat_gives_old_orders_their_months_and_leaves_archived_months_alone(
    moved, btcusdt
) -> None:
    # given January archived, then two more orders closed long ago: one created in
    # January (a GTC closed after its month was archived), one in May 2020 (no month yet)
    call_command("archive", "--before", "2020-02", stdout=StringIO())
    trader = moved["trader"]
    january = order_at(btcusdt, trader, dt.datetime(2020, 1, 9, tzinfo=UTC), OrderStatus.FILLED)
    may = order_at(btcusdt, trader, dt.datetime(2020, 5, 9, tzinfo=UTC), OrderStatus.CANCELED)
    # when beat's mover runs
    assert move_closed_orders_into_months() == 1
    # then May got its month and its order, nothing waits in the default partition,
    # and January's order stayed where it was, so January can still be restored
    assert Month(2020, 5) in monthly_partitions(CLOSED_ORDERS)
    assert partition_of("orders_order_history", "id = %s", [may.pk]) == [
        "orders_order_history_p2020_05"
    ]
    assert partition_of("orders_order_history_default", "true", []) == []
    assert Order.objects.filter(pk=january.pk).exists()
    call_command("archive", "--restore", "orders_order_history", "2020-01", stdout=StringIO())
    assert JAN in monthly_partitions(CLOSED_ORDERS)
