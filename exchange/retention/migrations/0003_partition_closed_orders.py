"""Partition the closed-order history by month on PostgreSQL (ADR 0050).

SQLite keeps the plain table, as with the other history tables (ADR 0037).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from exchange.retention.convert import partition_table
from exchange.retention.partitions import HistoryTable

CLOSED_ORDERS = HistoryTable("orders_order_history", "created_at")
MONTHS_AHEAD = 3


def partition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    partition_table(schema_editor.connection, CLOSED_ORDERS, MONTHS_AHEAD)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0002_partition_the_ledger"),
        ("orders", "0012_closed_order_history"),
    ]

    # Not reversed: a partitioned table serves the same model as the plain one.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
