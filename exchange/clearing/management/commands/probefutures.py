"""``python manage.py probefutures --group USDT``: the database equals the engine's state
at clearing's checkpoint (``exchange.clearing.futures.probe``); non-zero exit if not."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.clearing.futures.probe import probe_group


class Command(BaseCommand):
    help = "Compare futures wallets, positions and the insurance fund with the engine's state."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--group", default="USDT", help="The margin group (asset code).")

    def handle(self, *args: Any, **options: Any) -> None:
        result = probe_group(options["group"].upper())
        self.stdout.write(
            f"checkpoint {result.checkpoint}, {result.replayed} input entries replayed"
        )
        if result.differences:
            for line in result.differences:
                self.stderr.write(f"DIFFERENCE {line}")
            raise CommandError(f"probe: {len(result.differences)} difference(s)")
        self.stdout.write(self.style.SUCCESS("probe: the database equals the engine's state"))
