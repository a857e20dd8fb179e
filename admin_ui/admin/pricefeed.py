"""Back office for the price feed: funding history, premium samples and price bars (read-only).

The feed writes these rows; an operator reads them to see why a funding rate was what it
was (its samples, average premium, interest and mark). The live status of each contract's
mark is on ``/healthz`` (``price_feed``).
"""

from __future__ import annotations

from django.contrib import admin

from admin_ui.admin.mixins import ReadOnlyMixin
from exchange.pricefeed.models import FundingRate, PremiumSample, PriceBar


@admin.register(FundingRate)
class FundingRateAdmin(ReadOnlyMixin, admin.ModelAdmin[FundingRate]):
    list_display = (
        "symbol",
        "funding_time",
        "rate",
        "mark_price",
        "index_price",
        "average_premium",
        "interest_rate",
        "samples",
        "entry_id",
    )
    list_filter = ("symbol",)
    search_fields = ("symbol", "entry_id")
    ordering = ("-funding_time",)


@admin.register(PremiumSample)
class PremiumSampleAdmin(ReadOnlyMixin, admin.ModelAdmin[PremiumSample]):
    list_display = ("symbol", "time", "premium", "index_price")
    list_filter = ("symbol",)
    search_fields = ("symbol",)
    ordering = ("-time",)


@admin.register(PriceBar)
class PriceBarAdmin(ReadOnlyMixin, admin.ModelAdmin[PriceBar]):
    list_display = ("symbol", "kind", "open_time", "open", "high", "low", "close")
    list_filter = ("symbol", "kind")
    search_fields = ("symbol",)
    ordering = ("-open_time",)
