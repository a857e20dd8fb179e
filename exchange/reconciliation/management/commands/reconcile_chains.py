"""``python manage.py reconcile_chains``: on-chain holdings beside the ledger, per network."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exchange.core.money import format_money
from exchange.reconciliation.chains import chain_holdings


class Command(BaseCommand):
    help = "Show, per network and asset, on-chain holdings, the ledger's expectation and the difference."

    def handle(self, *args: Any, **options: Any) -> None:
        header = (
            "network",
            "asset",
            "hot_wallet",
            "deposit_addrs",
            "credited",
            "paid_out",
            "difference",
        )
        self.stdout.write("  ".join(f"{h:>16}" for h in header))
        for row in chain_holdings():
            values = (
                row.network,
                row.asset,
                format_money(row.hot_wallet),
                format_money(row.deposit_addresses),
                format_money(row.credited),
                format_money(row.paid_out),
                format_money(row.difference),
            )
            self.stdout.write("  ".join(f"{v:>16}" for v in values))
