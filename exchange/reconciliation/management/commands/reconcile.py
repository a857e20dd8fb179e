"""``python manage.py reconcile``: check the ledger invariants; non-zero exit on violation."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange.core.money import format_money
from exchange.reconciliation.checks import reconcile


def _fmt(value: Decimal) -> str:
    return format_money(value)


class Command(BaseCommand):
    help = "Check ledger invariants, print a per-asset table, name every offending account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-progress", action="store_true", help="Do not print progress.")

    def _progress(self, stage: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r{stage}: {done}/{total} ({100 * done // max(total, 1)}%)")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile(None if options["quiet_progress"] else self._progress)
        header = (
            "asset",
            "users_available",
            "users_locked",
            "fee_income",
            "deposits",
            "withdrawals",
            "adjustments",
            "holdings",
            "status",
        )
        rows = [header] + [
            (
                s.asset,
                _fmt(s.users_available),
                _fmt(s.users_locked),
                _fmt(s.fee_income),
                _fmt(s.deposits),
                _fmt(s.withdrawals),
                _fmt(s.adjustments),
                _fmt(s.holdings),
                "ok" if s.ok else "MISMATCH",
            )
            for s in report.summaries
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
        if report.ok:
            self.stdout.write(self.style.SUCCESS("reconcile: all invariants hold"))
            return
        for v in report.violations:
            self.stderr.write(f"VIOLATION [{v.check}] {v.account} {v.asset}: {v.detail}")
        raise CommandError(f"reconcile: {len(report.violations)} violation(s)")
