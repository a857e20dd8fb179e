"""What the price feed keeps: minute bars of mark, index and premium, premium samples, funding.

Rows name their contract by symbol, as market data's checkpoint does: the history is
written once a second by one process and read by symbol (``/fapi`` klines, premium
index, funding history), and it outlives a contract that is removed.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from exchange.core.money_db import MoneyField


class PriceKind(models.TextChoices):
    MARK = "MARK"
    INDEX = "INDEX"
    PREMIUM = "PREMIUM"


class PriceBar(models.Model):
    """One minute of a contract's mark price, index price or premium index (OHLC).

    Longer intervals of markPriceKlines / indexPriceKlines / premiumIndexKlines are
    aggregated from these when read.
    """

    symbol = models.CharField(max_length=32)
    kind = models.CharField(max_length=8, choices=PriceKind.choices)
    open_time = models.BigIntegerField(help_text="ms since the epoch, UTC")
    open = MoneyField()
    high = MoneyField()
    low = MoneyField()
    close = MoneyField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["symbol", "kind", "open_time"], name="pricebar_unique_minute"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.kind} {self.open_time}"


class PremiumSample(models.Model):
    """The premium index at one sampling time; funding averages an interval's samples."""

    symbol = models.CharField(max_length=32)
    time = models.BigIntegerField(help_text="ms since the epoch, UTC")
    premium = MoneyField()
    index_price = MoneyField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["symbol", "time"], name="premiumsample_unique_time"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.time} {self.premium}"


class FundingRate(models.Model):
    """One funding the feed appended: Binance's fundingRate history row, and why it was that.

    ``rate`` is exactly what the engine applied (``rate_units`` / 10^8). The row is
    written before the FUNDING command is appended and ``entry_id`` after; a row left
    without it is completed on restart from the input stream (ADR 0026).
    """

    symbol = models.CharField(max_length=32)
    funding_time = models.BigIntegerField(help_text="the scheduled time, ms since the epoch")
    rate = MoneyField()
    rate_units = models.BigIntegerField()
    mark_price = MoneyField()
    index_price = MoneyField()
    average_premium = MoneyField()
    interest_rate = MoneyField()
    samples = models.IntegerField()
    applied_at = models.BigIntegerField(help_text="when it was appended, ms since the epoch")
    entry_id = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["symbol", "funding_time"], name="fundingrate_unique_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.funding_time} {self.rate}"
