"""Perpetual contracts and their leverage brackets.

A contract's symbol is Binance's (``BTCUSDT``) and may equal a spot market's: the
two live in different tables and every surface names the product, so they never
meet. ``engine_id`` is the contract's integer id inside its margin group's engine.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from exchange.core.money_db import MoneyField
from exchange.markets.models import FeeRateField, Market
from exchange.wallets.models import Asset


class ContractStatus(models.TextChoices):
    TRADING = "TRADING"
    HALTED = "HALTED"


class Contract(models.Model):
    """A USDⓈ-M linear perpetual: margined and settled in ``margin_asset``."""

    symbol = models.CharField(max_length=32, unique=True)
    base_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    margin_asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    engine_id = models.PositiveIntegerField(
        unique=True, help_text="The contract's id inside its margin group's engine."
    )
    status = models.CharField(
        max_length=8, choices=ContractStatus.choices, default=ContractStatus.TRADING
    )
    tick_size = MoneyField(help_text="Price increment; prices are integer ticks in the engine.")
    step_size = MoneyField(help_text="Quantity increment; quantities are lots in the engine.")
    min_notional = MoneyField(default=0)
    maker_fee = FeeRateField(default=0, help_text="Rate, e.g. 0.0002 = 0.02%.")
    taker_fee = FeeRateField(default=0)
    liquidation_fee = FeeRateField(
        default=0, help_text="Rate of a liquidated position's notional, to the insurance fund."
    )
    funding_interval_seconds = models.PositiveIntegerField(default=8 * 3600)
    interest_rate = FeeRateField(
        default=0, help_text="Interest term of the funding rate per interval (0.0001 = 0.01%)."
    )
    funding_cap = FeeRateField(default=0, help_text="Largest |funding rate| per interval.")
    index_market = models.ForeignKey(
        Market,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The spot book whose prices make the index.",
    )
    onboard_date = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["symbol"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(base_asset=F("quote_asset")), name="contract_base_ne_quote"
            ),
            models.CheckConstraint(condition=Q(tick_size__gt=0), name="contract_tick_gt_0"),
            models.CheckConstraint(condition=Q(step_size__gt=0), name="contract_step_gt_0"),
            models.CheckConstraint(
                condition=Q(min_notional__gte=0), name="contract_min_notional_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(
                    maker_fee__gte=0,
                    maker_fee__lt=1,
                    taker_fee__gte=0,
                    taker_fee__lt=1,
                    liquidation_fee__gte=0,
                    liquidation_fee__lt=1,
                    funding_cap__gte=0,
                    funding_cap__lt=1,
                ),
                name="contract_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(funding_interval_seconds__gt=0), name="contract_funding_interval_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} perpetual"


class LeverageBracket(models.Model):
    """One notional tier: positions up to ``notional_cap`` (in the margin asset) may use
    up to ``max_leverage`` and keep ``maintenance_rate`` of their notional as margin."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="brackets")
    tier = models.PositiveSmallIntegerField()
    notional_cap = MoneyField()
    max_leverage = models.PositiveSmallIntegerField()
    maintenance_rate = FeeRateField()

    class Meta:
        ordering: ClassVar[list[str]] = ["contract", "tier"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["contract", "tier"], name="bracket_unique_tier"),
            models.CheckConstraint(condition=Q(notional_cap__gt=0), name="bracket_cap_gt_0"),
            models.CheckConstraint(
                condition=Q(max_leverage__gte=1, max_leverage__lte=125),
                name="bracket_leverage_range",
            ),
            models.CheckConstraint(
                condition=Q(maintenance_rate__gt=0, maintenance_rate__lt=1),
                name="bracket_maintenance_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.symbol} tier {self.tier}: ≤{self.notional_cap} x{self.max_leverage}"
