"""Back office for markets: listing, halting and resuming, fee overrides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from admin_ui.admin.mixins import NeverDeletedMixin
from exchange.markets.actions import do_create_market, do_set_market_status
from exchange.markets.models import FeeOverride, Market, MarketStatus


@admin.register(Market)
class MarketAdmin(NeverDeletedMixin, admin.ModelAdmin[Market]):
    list_display = (
        "symbol",
        "base",
        "quote",
        "status",
        "tick_size",
        "step_size",
        "maker_fee",
        "taker_fee",
    )
    list_filter = ("status", "quote")
    search_fields = ("symbol",)
    actions = ("halt", "resume")
    # The engine's integers are read with tick and step, and the engine hears of status
    # changes only through the actions: none of these may change by editing the row.
    frozen = ("symbol", "base", "quote", "tick_size", "step_size", "status")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Market | None = None
    ) -> tuple[str, ...]:
        return self.frozen if obj is not None else ("status",)

    def save_model(self, request: HttpRequest, obj: Market, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = do_create_market(
            base=obj.base,
            quote=obj.quote,
            tick_size=obj.tick_size,
            step_size=obj.step_size,
            min_qty=obj.min_qty,
            max_qty=obj.max_qty,
            min_notional=obj.min_notional,
            maker_fee=obj.maker_fee,
            taker_fee=obj.taker_fee,
            symbol=obj.symbol or None,
        )
        obj.pk = created.pk
        if created.status == MarketStatus.HALT:
            self.message_user(
                request,
                f"{created.symbol} was created HALTED: ENGINE_SHARDS lists it in no engine "
                "shard. Add it to a shard, restart that shard, then resume it here.",
                messages.WARNING,
            )

    def _set(self, request: HttpRequest, queryset: QuerySet[Market], status: MarketStatus) -> None:
        for market in queryset:
            do_set_market_status(symbol=market.symbol, status=status)
        self.message_user(request, f"{queryset.count()} market(s) set to {status}.")

    @admin.action(description="Halt trading")
    def halt(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.HALT)

    @admin.action(description="Resume trading")
    def resume(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.TRADING)


@admin.register(FeeOverride)
class FeeOverrideAdmin(admin.ModelAdmin[FeeOverride]):
    list_display = ("user", "market", "maker_fee", "taker_fee")
    list_filter = ("market",)
    search_fields = ("user__email",)
