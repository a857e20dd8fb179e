"""Partition trades, futures trades, futures income and klines by month on PostgreSQL.

SQLite keeps the plain tables: the models are the same either way (ADR 0037).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from exchange.retention.convert import partition_table
from exchange.retention.partitions import HistoryTable

TABLES = (
    HistoryTable("orders_trade", "created_at"),
    HistoryTable("futures_futurestrade", "time"),
    HistoryTable("futures_income", "time"),
    HistoryTable("marketdata_kline", "open_time", epoch_ms=True),
)
MONTHS_AHEAD = 3


def partition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for history in TABLES:
        partition_table(schema_editor.connection, history, MONTHS_AHEAD)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_cancel_countdown"),
        ("futures", "0003_conditional_orders_and_margin_type"),
        ("marketdata", "0001_initial"),
    ]

    # Not reversed: a partitioned table serves the same models as the plain one.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
