"""Month partitions of the history tables on a real PostgreSQL (ADR 0037)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from exchange.orders.models import Trade
from exchange.retention.convert import partition_table
from exchange.retention.months import Month, months_between
from exchange.retention.partitions import (
    HISTORY_TABLES,
    HistoryTable,
    create_partition,
    create_partitions_ahead,
    is_partitioned,
    monthly_partitions,
)
from exchange.retention.tasks import create_history_partitions
from tests.exchange.retention.history import income_at, kline_at, partition_of, trade_at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
UTC = dt.UTC


def test_the_migration_partitions_every_history_table_three_months_ahead() -> None:
    # given the migrated database
    this_month = Month.of(timezone.now())
    # then each table has this month and the next three, and a default partition
    for history in HISTORY_TABLES:
        assert is_partitioned(connection, history.table)
        assert sorted(monthly_partitions(history)) == months_between(this_month, this_month.plus(3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('orders_trade_default') IS NOT NULL")
        assert cursor.fetchone() == (True,)


def test_beat_creates_the_missing_months_ahead_once() -> None:
    # given partitions up to three months ahead
    this_month = Month.of(timezone.now())
    # when the partition keeper is asked for five months ahead, twice
    created = create_partitions_ahead(5)
    again = create_partitions_ahead(5)
    # then the fourth and fifth months were created for every table, and only once
    assert sorted(created) == sorted(
        history.partition(this_month.plus(n)) for history in HISTORY_TABLES for n in (4, 5)
    )
    assert again == []
    assert create_history_partitions() == 0  # the beat task (three months): nothing missing


def test_rows_go_into_their_months_partition(make_user, btcusdt) -> None:
    # given a trader
    user = make_user()
    now = timezone.now()
    next_month = Month.of(now).plus(1).start + dt.timedelta(hours=1)
    # when trades, income and klines are written now and next month
    trade_at(btcusdt, user, now), trade_at(btcusdt, user, next_month)
    income_at(user, btcusdt, now), kline_at(btcusdt, next_month)
    # then each row is in its month's partition
    this, following = Month.of(now).suffix, Month.of(next_month).suffix
    assert partition_of("orders_trade", "true", []) == [
        f"orders_trade_{this}",
        f"orders_trade_{following}",
    ]
    assert partition_of("futures_income", "true", []) == [f"futures_income_{this}"]
    assert partition_of("marketdata_kline", "true", []) == [f"marketdata_kline_{following}"]


def test_a_row_of_a_month_without_partition_waits_in_the_default_and_moves(
    make_user, btcusdt
) -> None:
    # given a trade in a month that has no partition
    old = dt.datetime(2020, 1, 15, 12, tzinfo=UTC)
    trade = trade_at(btcusdt, make_user(), old)
    assert partition_of("orders_trade", "id = %s", [trade.pk]) == ["orders_trade_default"]
    # when that month's partition is created
    assert create_partition(HISTORY_TABLES[0], Month(2020, 1))
    # then the row moved into it, unchanged
    assert partition_of("orders_trade", "id = %s", [trade.pk]) == ["orders_trade_p2020_01"]
    assert Trade.objects.get(pk=trade.pk).created_at == old
    assert partition_of("orders_trade_default", "true", []) == []


def test_a_query_by_time_reads_only_its_months_partition(make_user, btcusdt) -> None:
    # given trades this month and next
    user = make_user()
    now = timezone.now()
    month = Month.of(now)
    trade_at(btcusdt, user, now), trade_at(btcusdt, user, month.plus(1).start)
    # when a trader's history of this month is explained
    query = Trade.objects.filter(
        taker_user=user, created_at__gte=month.start, created_at__lt=month.plus(1).start
    )
    plan = json.loads(query.explain(format="json"))
    # then the plan reads this month's partition and no other
    scanned = sorted(_relations(plan))
    assert scanned == [f"orders_trade_{month.suffix}"]


def test_manage_partitions_lists_them() -> None:
    out = StringIO()
    call_command("partitions", stdout=out)
    this_month = Month.of(timezone.now())
    assert f"orders_trade by created_at: {this_month}, " in out.getvalue()


def _relations(plan: object) -> set[str]:
    if isinstance(plan, list):
        return set().union(*(_relations(item) for item in plan))
    if isinstance(plan, dict):
        found = {plan["Relation Name"]} if "Relation Name" in plan else set()
        return found.union(*(_relations(value) for value in plan.values()))
    return set()


def test_the_rebuild_keeps_rows_ids_indexes_and_keys_of_a_table_with_data() -> None:
    # given a plain table like a history table, with rows from March 2020 and now
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE retention_probe (id bigint GENERATED BY DEFAULT AS IDENTITY"
            " PRIMARY KEY, at timestamptz NOT NULL, n integer NOT NULL CHECK (n >= 0),"
            " CONSTRAINT probe_unique_n UNIQUE (n))"
        )
        cursor.execute("CREATE INDEX probe_n_at ON retention_probe (n, at)")
        cursor.execute(
            "INSERT INTO retention_probe (at, n) VALUES (%s, 1), (%s, 2), (%s, 3)",
            [dt.datetime(2020, 3, 9, tzinfo=UTC), dt.datetime(2020, 3, 31, 23, tzinfo=UTC), now],
        )
        cursor.execute("SELECT id, at, n FROM retention_probe ORDER BY id")
        rows = cursor.fetchall()
        probe = HistoryTable("retention_probe", "at")
        # when it is rebuilt partitioned, one month ahead
        partition_table(connection, probe, 1)
        # then its rows are kept, in their months, from the oldest to next month
        cursor.execute("SELECT id, at, n FROM retention_probe ORDER BY id")
        assert cursor.fetchall() == rows
        assert sorted(monthly_partitions(probe)) == months_between(
            Month(2020, 3), Month.of(now).plus(1)
        )
        assert partition_of("retention_probe", "n < 3", []) == ["retention_probe_p2020_03"]
        # and new ids follow the old ones; the keys gained the time; the check and index stay
        cursor.execute("INSERT INTO retention_probe (at, n) VALUES (%s, 4) RETURNING id", [now])
        assert cursor.fetchone() == (rows[-1][0] + 1,)
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'retention_probe'::regclass ORDER BY conname"
        )
        assert cursor.fetchall() == [
            ("probe_unique_n", "UNIQUE (n, at)"),
            ("retention_probe_n_check", "CHECK ((n >= 0))"),
            ("retention_probe_pkey", "PRIMARY KEY (id, at)"),
        ]
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'probe_n_at'")
        assert cursor.fetchone() == ("probe_n_at",)
