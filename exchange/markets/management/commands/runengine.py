"""``python manage.py runengine``: run the matching engine for the platform's markets.

Appends each market's MARKET_CREATE and halt state (harmless when already
known) and lists it in the engine's market registry, then replaces itself
with ``python -m matching_engine`` so the supervisor's signals reach the
engine directly. Without ``--markets`` or ``--shard`` the engine follows the
registry, so a market created later starts trading within seconds, without a
restart; with them it runs exactly those markets (one shard of a sharded
deployment, whose map lists every market). ``--margin-groups USDT`` also runs
the futures state machine of that margin group (docs/futures.md).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.markets.engine_state import send_market_state
from exchange.markets.models import Market
from exchange.matching.engine_args import engine_redis_args
from matching_client import ShardMapError, shard_markets
from matching_engine import CORE


class Command(BaseCommand):
    help = (
        "Run the matching engine (python -m matching_engine) for the listed markets, "
        "or for all markets including those created while it runs."
    )

    def get_version(self) -> str:
        """`runengine --version` also says which matching core the engine will load."""
        return f"Django {django.get_version()}; matching core: {CORE}"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--markets", default="", help="Comma-separated symbols (default: all, and new ones)."
        )
        parser.add_argument(
            "--shard", default="", help="Run this shard's markets from settings.ENGINE_SHARDS."
        )
        parser.add_argument(
            "--margin-groups",
            default="",
            help="Also run these futures margin groups (margin assets, e.g. USDT).",
        )
        parser.add_argument(
            "--standby",
            action="store_true",
            help="Run as one of a hot standby pair: write only while holding the leader lease.",
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
            *engine_redis_args(),
            *(["--markets", ",".join(m.symbol for m in markets)] if markets else []),
            *([] if symbols else ["--follow"]),
            *(["--margin-groups", groups] if (groups := options["margin_groups"].upper()) else []),
            *(["--standby"] if options["standby"] else []),
            *(["--metrics-port", str(settings.METRICS_PORT)] if settings.METRICS_PORT else []),
            *options["engine_args"],
        ]
        self.stdout.write(f"matching core: {CORE}")
        self.stdout.write(f"exec {' '.join(argv)}")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and module
