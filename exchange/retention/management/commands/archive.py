"""manage.py archive: export old history months to compressed files and detach them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exchange.retention.archive import (
    ArchiveMismatchError,
    archive_before,
    history_table,
    restore_month,
)
from exchange.retention.months import Month


class Command(BaseCommand):
    help = (
        "Archive every history month before --before (YYYY-MM) to ARCHIVE_DIR, verified and "
        "detached; or --restore TABLE YYYY-MM to load one back. Safe to rerun after a stop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", help="archive the months before this one (YYYY-MM)")
        parser.add_argument("--restore", nargs=2, metavar=("TABLE", "MONTH"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["restore"]:
                table, month = options["restore"]
                manifest = restore_month(history_table(table), Month.parse(month))
                self.stdout.write(f"restored {manifest.partition}: {manifest.rows} rows")
                return
            if not options["before"]:
                raise CommandError("give --before YYYY-MM or --restore TABLE YYYY-MM")
            for manifest in archive_before(Month.parse(options["before"])):
                self.stdout.write(
                    f"archived {manifest.partition}: {manifest.rows} rows,"
                    f" sha256 {manifest.sha256[:16]}, {manifest.file}"
                )
        except (ValueError, ArchiveMismatchError) as error:
            raise CommandError(str(error)) from error
