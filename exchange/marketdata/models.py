"""Persisted market data: klines of every interval, and the process's checkpoint."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from exchange.core.money_db import MoneyField
from exchange.markets.models import Market


class Kline(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="+")
    interval = models.CharField(max_length=3)
    open_time = models.BigIntegerField(help_text="ms since the epoch, UTC")
    close_time = models.BigIntegerField()
    open = MoneyField()
    high = MoneyField()
    low = MoneyField()
    close = MoneyField()
    volume = MoneyField()
    quote_volume = MoneyField()
    trades = models.IntegerField()
    taker_buy_volume = MoneyField()
    taker_buy_quote_volume = MoneyField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["market", "interval", "open_time"], name="kline_unique_bucket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} {self.interval} {self.open_time}"


class MarketDataCheckpoint(models.Model):
    """The last output entry whose klines are stored (written with them)."""

    symbol = models.CharField(max_length=32, unique=True)
    last_entry_id = models.CharField(max_length=32, default="0-0")

    def __str__(self) -> str:
        return f"{self.symbol} @ {self.last_entry_id}"
