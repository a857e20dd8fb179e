"""On SQLite (the embedded default) the history tables stay plain and the commands say so."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from exchange.retention.archive import archive_before
from exchange.retention.months import Month
from exchange.retention.partitions import HISTORY_TABLES, create_partitions_ahead, is_partitioned

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's plain tables"),
]


def test_sqlite_keeps_plain_tables_and_partitions_and_archive_do_nothing() -> None:
    out = StringIO()
    call_command("partitions", stdout=out)
    assert not any(is_partitioned(connection, history.table) for history in HISTORY_TABLES)
    assert create_partitions_ahead() == []
    assert archive_before(Month(2020, 1)) == []
    assert "orders_trade: not partitioned (sqlite)" in out.getvalue()
