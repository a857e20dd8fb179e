"""``python manage.py runclearing``: settle engine output into the database."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand

from exchange.clearing.runner import run_clearing

logger = logging.getLogger("exchange.clearing")


class Command(BaseCommand):
    help = "Clear every market's engine output from its checkpoint; stop with SIGTERM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--markets", default="", help="Comma-separated symbols (default: all).")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--report-every", type=float, default=10.0, help="Seconds between log lines."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        symbols = [s for s in options["markets"].upper().split(",") if s]
        clearers = run_clearing(
            symbols=symbols or None, stop=stop, batch_size=options["batch_size"]
        )
        logger.info("clearing %s", ", ".join(clearers))
        while not stop.wait(options["report_every"]):
            run_clearing(
                symbols=symbols or None,
                stop=stop,
                batch_size=options["batch_size"],
                running=clearers,
            )
            logger.info(
                "cleared: %s",
                ", ".join(
                    f"{c.symbol} {c.cleared_entries} entries/{c.cleared_trades} trades"
                    for c in clearers.values()
                ),
            )
        deadline = time.monotonic() + 10
        for clearer in clearers.values():  # the batch in hand, and its user events
            clearer.stopped.wait(max(0.0, deadline - time.monotonic()))
