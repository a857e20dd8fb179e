"""``python manage.py runengine``: run the matching engine for the platform's markets.

Appends each market's MARKET_CREATE and halt state (harmless when already
known) and lists it in the engine's market registry, then replaces itself
with ``python -m matching_engine`` so the supervisor's signals reach the
engine directly. Without ``--markets`` or ``--shard`` the engine follows the
registry, so a market created later starts trading within seconds, without a
restart; with them it runs exactly those markets (one shard of a sharded
deployment, whose map lists every market).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.markets.engine_state import send_market_state
from exchange.markets.models import Market
from matching_client import ShardMapError, shard_markets


class Command(BaseCommand):
    help = (
        "Run the matching engine (python -m matching_engine) for the listed markets, "
        "or for all markets including those created while it runs."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--markets", default="", help="Comma-separated symbols (default: all, and new ones)."
        )
        parser.add_argument(
            "--shard", default="", help="Run this shard's markets from settings.ENGINE_SHARDS."
        )
        parser.add_argument("engine_args", nargs="*", help="Passed to the engine after '--'.")

    def handle(self, *args: Any, **options: Any) -> None:
        symbols = [s for s in options["markets"].upper().split(",") if s]
        if options["shard"]:
            try:
                symbols = shard_markets(settings.ENGINE_SHARDS, options["shard"])
            except ShardMapError as exc:
                raise CommandError(str(exc)) from exc
        markets = list(
            Market.objects.filter(symbol__in=symbols) if symbols else Market.objects.all()
        )
        if symbols and len(markets) != len(symbols):
            missing = set(symbols) - {m.symbol for m in markets}
            raise CommandError(f"unknown markets: {','.join(sorted(missing))}")
        for market in markets:
            if not send_market_state(market):
                raise CommandError(f"could not reach Redis to announce {market.symbol}")
        argv = [
            sys.executable,
            "-m",
            "matching_engine",
            "--redis",
            settings.REDIS_URL,
            *(["--markets", ",".join(m.symbol for m in markets)] if markets else []),
            *([] if symbols else ["--follow"]),
            *(["--cluster"] if settings.REDIS_CLUSTER else []),
            *(["--metrics-port", str(settings.METRICS_PORT)] if settings.METRICS_PORT else []),
            *options["engine_args"],
        ]
        self.stdout.write(f"exec {' '.join(argv)}")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and module
