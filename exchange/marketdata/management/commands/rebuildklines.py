"""``python manage.py rebuildklines [--markets A,B]``: klines from the trade history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exchange.marketdata.rebuild import rebuild_klines
from exchange.markets.models import Market

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Recompute every kline interval of the markets from their trades (replaces stored klines)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--markets", default="", help="Comma-separated symbols (default: all).")
        parser.add_argument("--quiet-progress", action="store_true", help="Do not print progress.")

    def handle(self, *args: Any, **options: Any) -> None:
        symbols = [s for s in options["markets"].upper().split(",") if s]
        markets = Market.objects.select_related("base", "quote").order_by("symbol")
        if symbols:
            markets = markets.filter(symbol__in=symbols)
        for market in markets:

            def bar(done: int, total: int, symbol: str = market.symbol) -> None:
                filled = BAR_WIDTH * done // max(total, 1)
                self.stderr.write(
                    f"\r{symbol} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                    f"{done}/{total} trades ({100 * done // max(total, 1)}%)",
                    ending="\n" if done >= total else "",
                )
                self.stderr.flush()

            count = rebuild_klines(market, progress=None if options["quiet_progress"] else bar)
            self.stdout.write(f"{market.symbol}: klines rebuilt from {count} trades")
