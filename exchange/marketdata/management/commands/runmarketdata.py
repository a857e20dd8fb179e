"""``python manage.py runmarketdata``: depth, trades, tickers and klines from engine output,
for the spot markets and (without ``--markets``) the perpetuals' margin groups."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from exchange.core import metrics
from exchange.core.workers import until_reachable
from exchange.marketdata.futures_feed import FuturesMarketData, run_futures_market_data
from exchange.marketdata.metrics import MarketDataCollector
from exchange.marketdata.runner import MarketDataFeed, run_market_data
from exchange.marketdata.ticker_arrays import TickerArrays

logger = logging.getLogger("exchange.marketdata")


class Command(BaseCommand):
    help = "Follow every market's engine output and keep market data; stop with SIGTERM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--markets", default="", help="Comma-separated symbols (default: all).")
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.METRICS_PORT,
            help="Serve Prometheus metrics on this port (0: off; default METRICS_PORT).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        symbols = [s for s in options["markets"].upper().split(",") if s]
        arrays = TickerArrays()
        threading.Thread(
            target=arrays.run, args=(stop,), name="marketdata-ticker-arrays", daemon=True
        ).start()
        feeds: dict[str, MarketDataFeed] = {}
        groups: dict[str, FuturesMarketData] = {}

        def discover() -> None:
            """A feed for every market that has none yet, and for every perpetual's margin
            group when no markets are named (as runclearing does)."""
            run_market_data(symbols=symbols or None, stop=stop, running=feeds, arrays=arrays)
            if not symbols:
                run_futures_market_data(stop=stop, running=groups)

        until_reachable(name="market data", call=discover, stop=stop)
        metrics.serve(options["metrics_port"], MarketDataCollector(feeds))
        logger.info("market data for %s", ", ".join(feeds))
        while not stop.wait(10.0):
            until_reachable(name="market data", call=discover, stop=stop)
