"""``python manage.py runfuturesengine --margin-groups USDT``: run futures margin groups.

Announces every contract of the groups (CONTRACT_CREATE with its spec and status;
harmless when the engine knows it), then replaces itself with
``python -m matching_engine --margin-groups ...`` so the supervisor's signals reach
the engine. Spot markets run in ``runengine``; a margin group is its own shard.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exchange.futures.engine_state import send_contract_state
from exchange.futures.models import Contract
from exchange.matching.engine_args import engine_redis_args


class Command(BaseCommand):
    help = "Run the futures engine for the listed margin groups (margin assets, e.g. USDT)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--margin-groups", default="USDT", help="Comma-separated assets.")
        parser.add_argument("engine_args", nargs="*", help="Passed to the engine after '--'.")

    def handle(self, *args: Any, **options: Any) -> None:
        groups = [g for g in options["margin_groups"].upper().split(",") if g]
        if not groups:
            raise CommandError("give --margin-groups")
        contracts = Contract.objects.filter(margin_asset__code__in=groups).select_related(
            "margin_asset"
        )
        for contract in contracts.order_by("engine_id"):
            if not send_contract_state(contract):
                raise CommandError(f"could not reach Redis to announce {contract.symbol}")
        argv = [
            sys.executable,
            "-m",
            "matching_engine",
            *engine_redis_args(),
            "--margin-groups",
            ",".join(groups),
            *(["--metrics-port", str(settings.METRICS_PORT)] if settings.METRICS_PORT else []),
            *options["engine_args"],
        ]
        self.stdout.write(f"exec {' '.join(argv)}")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and module
