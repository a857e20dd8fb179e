"""Partition journal entries and ledger lines by month on PostgreSQL (ADR 0049).

SQLite keeps the plain tables, as with the other history tables (ADR 0037).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from exchange.retention.convert import partition_journal
from exchange.retention.partitions import HistoryTable

ENTRIES = HistoryTable("wallets_journalentry", "created_at")
LINES = HistoryTable("wallets_ledgerline", "created_at")
MONTHS_AHEAD = 3


def partition(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    partition_journal(schema_editor.connection, ENTRIES, LINES, MONTHS_AHEAD)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_partition_history_tables"),
        ("wallets", "0010_ledger_line_time_and_carry_forward"),
    ]

    # Not reversed: a partitioned table serves the same models as the plain one.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
