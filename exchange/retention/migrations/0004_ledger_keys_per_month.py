"""The lines' key to their entries, per month partition instead of parent to parent (ADR 0052).

Adding a key validates the month's lines against its entries (a scan of the
two partitions, under a lock that holds writes to them until the commit).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from exchange.retention.ledger_keys import drop_parent_key, tie_ledger_months


def key_per_month(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    drop_parent_key(schema_editor.connection)
    untied = tie_ledger_months(schema_editor.connection)
    if untied:
        raise RuntimeError(f"lines partitions without an entries month: {untied}")


class Migration(migrations.Migration):
    dependencies = [("retention", "0003_partition_closed_orders")]

    # Not reversed: the per-month keys hold what the parent's key held.
    operations = [migrations.RunPython(key_per_month, migrations.RunPython.noop, elidable=False)]
