"""manage.py trimstreams: trim every market's Redis streams now, as beat does each minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exchange.retention.trim import trim_streams


class Command(BaseCommand):
    help = "Trim each market's input and output streams below what every reader still needs."

    def handle(self, *args: Any, **options: Any) -> None:
        for trim in trim_streams():
            needs = ", ".join(f"{who} {pos or '?'}" for who, pos in trim.needs.items())
            cut = f"below {trim.trimmed_below}" if trim.trimmed_below else "not trimmed"
            self.stdout.write(
                f"{trim.stream}: {cut}, {trim.deleted} deleted, {trim.length} left ({needs})"
            )
