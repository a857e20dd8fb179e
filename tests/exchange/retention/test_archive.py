"""Archiving old history months to files and back, on a real PostgreSQL (ADR 0037)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from exchange.futures.models import Income
from exchange.orders.models import Trade
from exchange.retention.archive import ArchiveMismatchError, archive_before, restore_month
from exchange.retention.months import Month
from exchange.retention.partitions import HISTORY_TABLES, create_partition, monthly_partitions
from tests.exchange.retention.history import income_at, partition_of, trade_at

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]
UTC = dt.UTC
TRADES, _, INCOME, *_ = HISTORY_TABLES
JAN, FEB = Month(2020, 1), Month(2020, 2)


@pytest.fixture
def archive_dir(settings, tmp_path) -> Path:
    settings.ARCHIVE_DIR = tmp_path
    return tmp_path


@pytest.fixture
def old_history(make_user, btcusdt) -> dict[str, list]:
    """Trades and income in January and February 2020, each month with its partition."""
    users = [make_user(), make_user()]
    for history in (TRADES, INCOME):
        create_partition(history, JAN), create_partition(history, FEB)
    for day in range(1, 29, 3):
        for month in (1, 2):
            when = dt.datetime(2020, month, day, 10, 30, 15, 123456, tzinfo=UTC)
            trade_at(btcusdt, users[day % 2], when), income_at(users[day % 2], btcusdt, when)
    return {"trades": _trades(), "income": _income()}


def _trades() -> list[tuple]:
    return list(Trade.objects.order_by("id").values_list())


def _income() -> list[tuple]:
    return list(Income.objects.order_by("time", "entry_id").values_list())


def test_archive_exports_verifies_and_detaches_the_old_months(archive_dir, old_history) -> None:
    # when January 2020 is archived
    out = StringIO()
    call_command("archive", "--before", "2020-02", stdout=out)
    # then its partitions are gone, February's stay, and each file holds its month's rows
    assert JAN not in monthly_partitions(TRADES)
    assert FEB in monthly_partitions(TRADES)
    assert [t for t in old_history["trades"] if t[-1].month == 1] != []
    assert _trades() == [t for t in old_history["trades"] if t[-1].month == 2]
    manifest = json.loads((archive_dir / "orders_trade" / "orders_trade_p2020_01.json").read_text())
    assert manifest["rows"] == len(old_history["trades"]) // 2
    with gzip.open(archive_dir / "orders_trade" / manifest["file"], "rt") as rows:
        assert len(rows.readlines()) == manifest["rows"] + 1  # and the header
    assert "archived orders_trade_p2020_01: 10 rows" in out.getvalue()
    assert "archived futures_income_p2020_01: 10 rows" in out.getvalue()


def test_archive_then_restore_gives_back_the_same_rows(archive_dir, old_history) -> None:
    # given January archived
    archive_before(FEB)
    # when it is restored
    call_command("archive", "--restore", "orders_trade", "2020-01", stdout=StringIO())
    call_command("archive", "--restore", "futures_income", "2020-01", stdout=StringIO())
    # then every row is back exactly, in its month's partition
    assert _trades() == old_history["trades"]
    assert _income() == old_history["income"]
    assert partition_of("orders_trade", "created_at < %s", [FEB.start]) == ["orders_trade_p2020_01"]
    # and a second restore changes nothing
    restore_month(TRADES, JAN)
    assert _trades() == old_history["trades"]


def test_a_rerun_archives_only_what_is_left(archive_dir, old_history) -> None:
    # given January archived
    first = archive_before(FEB)
    # when the archiver runs again up to March
    second = archive_before(Month(2020, 3))
    # then only February is archived now, and nothing of 2020 is left in the tables
    assert sorted(m.month for m in first) == ["2020-01", "2020-01"]
    assert sorted(m.month for m in second) == ["2020-02", "2020-02"]
    assert _trades() == []
    assert _income() == []


def test_a_damaged_file_is_refused_and_nothing_is_attached(archive_dir, old_history) -> None:
    # given January's trades archived, and their file then changed by one digit
    archive_before(FEB)
    path = archive_dir / "orders_trade" / "orders_trade_p2020_01.csv.gz"
    with gzip.open(path, "rt") as source:
        text = source.read()
    with gzip.open(path, "wt") as target:
        target.write(text.replace("50000.01", "50000.02", 1))
    # when it is restored
    with pytest.raises(ArchiveMismatchError):
        restore_month(TRADES, JAN)
    # then the month is not back
    assert JAN not in monthly_partitions(TRADES)
    assert _trades() == [t for t in old_history["trades"] if t[-1].month == 2]


def test_archive_refuses_this_month() -> None:
    # this month is still being written
    next_month = Month.of(dt.datetime.now(UTC)).plus(1)
    with pytest.raises(CommandError, match="still being written"):
        call_command("archive", "--before", str(next_month))
