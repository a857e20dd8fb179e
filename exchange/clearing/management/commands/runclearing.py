"""``python manage.py runclearing``: settle engine output into the database.

One process clears its markets in a thread each, so they share one
interpreter lock: to use more cores, run a process per engine shard
(``--shard``, as ``runengine --shard`` runs it) or per market (``--markets``).
Each market's clearing is independent (its own output stream and checkpoint
row), and two processes clearing one market by mistake are harmless: the
checkpoint row lock decides which applies an entry (``exchange.clearing.runner``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.clearing.futures.runner import GroupClearer, run_futures_clearing
from exchange.clearing.metrics import ClearingCollector
from exchange.clearing.runner import GC_GEN0_THRESHOLD, MarketClearer, run_clearing
from exchange.core import gc_tuning, metrics
from exchange.core.workers import until_reachable
from matching_client import ShardMapError, parse_shard_map, shard_markets

logger = logging.getLogger("exchange.clearing")


class Command(BaseCommand):
    help = (
        "Clear the engine output of every market, or of the listed markets or engine shard, "
        "from its checkpoint; stop with SIGTERM."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--markets", default="", help="Comma-separated symbols (default: all, and new ones)."
        )
        parser.add_argument(
            "--shard", default="", help="Clear this shard's markets from settings.ENGINE_SHARDS."
        )
        parser.add_argument(
            "--futures",
            choices=("auto", "only", "no"),
            default="auto",
            help="Futures margin groups: cleared (auto) when no --markets is given and, "
            "with --shard, by the first shard of ENGINE_SHARDS only; alone (only); never (no).",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.METRICS_PORT,
            help="Serve Prometheus metrics on this port (0: off; default METRICS_PORT).",
        )
        parser.add_argument(
            "--report-every", type=float, default=10.0, help="Seconds between log lines."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        symbols = [s for s in options["markets"].upper().split(",") if s]
        if options["shard"]:
            if symbols:
                raise CommandError("give --markets or --shard, not both")
            try:
                symbols = shard_markets(settings.ENGINE_SHARDS, options["shard"])
            except ShardMapError as exc:
                raise CommandError(str(exc)) from exc
        gc_tuning.tune(GC_GEN0_THRESHOLD)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        spot = options["futures"] != "only"
        futures = options["futures"] == "only" or (
            options["futures"] == "auto"
            and not options["markets"]
            and (not options["shard"] or options["shard"] == first_shard())
        )
        batch_size = options["batch_size"]
        clearers: dict[str, MarketClearer] = {}
        groups: dict[str, GroupClearer] = {}

        def discover() -> None:
            """A clearing thread for every market and margin group that has none yet."""
            if spot:
                run_clearing(
                    symbols=symbols or None, stop=stop, batch_size=batch_size, running=clearers
                )
            if futures:
                run_futures_clearing(stop=stop, batch_size=batch_size, running=groups)

        until_reachable(name="clearing", call=discover, stop=stop)
        metrics.serve(options["metrics_port"], ClearingCollector(clearers))
        logger.info("clearing %s", ", ".join([*clearers, *groups]) or "no market yet")
        while not stop.wait(options["report_every"]):
            until_reachable(name="clearing", call=discover, stop=stop)
            report({**clearers, **groups})
        deadline = time.monotonic() + 10
        everyone: list[MarketClearer | GroupClearer] = [*clearers.values(), *groups.values()]
        for clearer in everyone:  # the batch in hand, and its user events
            clearer.stopped.wait(max(0.0, deadline - time.monotonic()))
        report({**clearers, **groups})


def first_shard() -> str:
    """The shard whose clearing process also clears the futures margin groups (one is
    enough; a second would only wait on the same checkpoint row)."""
    return next(iter(parse_shard_map(settings.ENGINE_SHARDS)), "")


def report(clearers: dict[str, MarketClearer | GroupClearer]) -> None:
    logger.info(
        "cleared: %s",
        ", ".join(
            f"{c.symbol} {c.cleared_entries} entries/{c.cleared_trades} trades"
            for c in clearers.values()
        ),
    )
