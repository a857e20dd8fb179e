"""Spot markets, their trading filters and fee rates."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from exchange.core.money_db import MoneyField
from exchange.wallets.models import Asset

FEE_MAX_DIGITS, FEE_DECIMAL_PLACES = 10, 8


class MarketStatus(models.TextChoices):
    TRADING = "TRADING"
    HALT = "HALT"
    BREAK = "BREAK"


def FeeRateField(**kwargs: Any) -> models.DecimalField:  # noqa: N802 - reads like a field class
    return models.DecimalField(
        max_digits=FEE_MAX_DIGITS, decimal_places=FEE_DECIMAL_PLACES, **kwargs
    )


class Market(models.Model):
    symbol = models.CharField(max_length=32, unique=True)
    base = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=8, choices=MarketStatus.choices, default=MarketStatus.TRADING
    )
    tick_size = MoneyField(help_text="Price increment; prices are integer ticks in the engine.")
    step_size = MoneyField(
        help_text="Quantity increment; quantities are integer lots in the engine."
    )
    min_qty = MoneyField()
    max_qty = MoneyField()
    min_notional = MoneyField(default=0)
    max_notional = MoneyField(null=True, blank=True)
    maker_fee = FeeRateField(default=0, help_text="Rate, e.g. 0.001 = 0.1%.")
    taker_fee = FeeRateField(default=0)
    halt_on_drift = models.BooleanField(
        default=False,
        help_text="Halt this market when the scheduled reconciliation finds drift in its assets.",
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["symbol"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(base=F("quote")), name="market_base_ne_quote"),
            models.CheckConstraint(condition=Q(tick_size__gt=0), name="market_tick_gt_0"),
            models.CheckConstraint(condition=Q(step_size__gt=0), name="market_step_gt_0"),
            models.CheckConstraint(
                condition=Q(min_qty__gt=0) & Q(max_qty__gte=F("min_qty")), name="market_qty_range"
            ),
            models.CheckConstraint(
                condition=Q(min_notional__gte=0), name="market_min_notional_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(maker_fee__gte=0, maker_fee__lt=1, taker_fee__gte=0, taker_fee__lt=1),
                name="market_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return self.symbol


class FeeOverride(models.Model):
    """A per-user fee rate, for one market or (market empty) for all."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    market = models.ForeignKey(Market, null=True, blank=True, on_delete=models.CASCADE)
    maker_fee = FeeRateField()
    taker_fee = FeeRateField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["user", "market"], name="fee_override_unique_user_market"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(market__isnull=True),
                name="fee_override_unique_user_all",
            ),
            models.CheckConstraint(
                condition=Q(maker_fee__gte=0, maker_fee__lt=1, taker_fee__gte=0, taker_fee__lt=1),
                name="fee_override_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.market or 'all markets'}: {self.maker_fee}/{self.taker_fee}"
