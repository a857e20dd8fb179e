"""manage.py partitions: create the history tables' month partitions ahead, as beat does hourly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from exchange.retention.partitions import (
    HISTORY_TABLES,
    create_partitions_ahead,
    is_partitioned,
    monthly_partitions,
)


class Command(BaseCommand):
    help = "Create the month partitions of the history tables ahead, then list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ahead", type=int, help="months ahead (PARTITIONS_AHEAD_MONTHS)")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in create_partitions_ahead(options["ahead"]):
            self.stdout.write(f"created {name}")
        for history in HISTORY_TABLES:
            if not is_partitioned(connection, history.table):
                self.stdout.write(f"{history.table}: not partitioned ({connection.vendor})")
                continue
            months = ", ".join(str(month) for month in sorted(monthly_partitions(history)))
            self.stdout.write(f"{history.table} by {history.key}: {months}")
