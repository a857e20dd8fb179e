"""``python manage.py runchainwatch``: credit confirmed deposits and pay approved withdrawals."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from exchange.wallets.chainwatch import run_chain_watch, watch_once


class Command(BaseCommand):
    help = "Watch every chain: credit deposits after their confirmations, send payouts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--networks", default="", help="Comma-separated codes (default all).")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")
        parser.add_argument("--once", action="store_true", help="Run one pass and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        networks = [n for n in options["networks"].upper().split(",") if n]
        if options["once"]:
            watch_once(networks or None)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_chain_watch(stop=stop, interval_s=options["interval"], networks=networks)
