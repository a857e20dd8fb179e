"""``python manage.py runpricefeed``: index, mark price and funding for every perpetual."""

from __future__ import annotations

import logging
import signal
import threading
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from exchange.core import metrics
from exchange.core.redis import get_redis
from exchange.pricefeed.contracts import FeedContract, load_contracts
from exchange.pricefeed.metrics import PriceFeedCollector
from exchange.pricefeed.runner import FeedSettings, PriceFeed, run_every_second
from exchange.pricefeed.sources import IndexSource, configured_sources
from matching_client import MatchingClient

logger = logging.getLogger("exchange.pricefeed")


class Command(BaseCommand):
    help = "Append MARK_PRICE every second and FUNDING every interval; stop with SIGTERM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--funding-interval-seconds",
            type=int,
            default=settings.PRICEFEED_FUNDING_INTERVAL_SECONDS,
            help="Fund every N seconds instead of each contract's interval (tests, demos).",
        )
        parser.add_argument(
            "--premium-sample-seconds",
            type=int,
            default=settings.PRICEFEED_PREMIUM_SAMPLE_SECONDS,
            help="Sample the premium index every N seconds (default 60).",
        )
        parser.add_argument(
            "--max-index-age-seconds",
            type=int,
            default=settings.PRICEFEED_MAX_INDEX_AGE_SECONDS,
            help="A source's price older than this is not used; none left means stale.",
        )
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
        max_age_ms = options["max_index_age_seconds"] * 1000

        def sources_for(contract: FeedContract) -> list[IndexSource]:
            return configured_sources(
                index_symbol=contract.index_symbol,
                external=settings.PRICEFEED_SOURCES.get(contract.symbol, []),
                spot_weight=Decimal(settings.PRICEFEED_SPOT_WEIGHT),
                max_age_ms=max_age_ms,
            )

        feed = PriceFeed(
            load_contracts=load_contracts,
            sources_for=sources_for,
            client=MatchingClient(get_redis()),
            settings=FeedSettings(
                max_index_age_ms=max_age_ms,
                premium_sample_ms=options["premium_sample_seconds"] * 1000,
                funding_interval_ms=options["funding_interval_seconds"] * 1000 or None,
            ),
        )
        metrics.serve(options["metrics_port"], PriceFeedCollector(feed))
        logger.info("price feed started")
        run_every_second(feed, stop=stop)
        logger.info("price feed stopped")
