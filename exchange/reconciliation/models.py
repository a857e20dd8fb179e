"""The results of the scheduled reconciliation, one row per asset and run."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from exchange.core.money_db import MoneyField
from exchange.wallets.models import Asset


class ReconciliationResult(models.Model):
    """Whether an asset's ledger invariants held at ``checked_at``, and what broke if not.

    ``holdings`` (users' available + locked + fee income) must equal ``expected``
    (deposits - withdrawals + adjustments); ``violations`` lists every failed check
    naming this asset, as ``manage.py reconcile`` prints them.
    """

    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    ok = models.BooleanField()
    holdings = MoneyField()
    expected = MoneyField()
    violations = models.JSONField(default=list, blank=True)
    halted_markets = models.JSONField(
        default=list, blank=True, help_text="Markets halted because of this drift."
    )

    class Meta:
        ordering = ("-checked_at", "asset__code")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["asset", "-checked_at"], name="reconciliation_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} {'ok' if self.ok else 'DRIFT'} at {self.checked_at:%Y-%m-%d %H:%M}"
