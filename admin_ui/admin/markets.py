"""Back office for markets: listing, halting and resuming, fee overrides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from admin_ui.admin.mixins import NeverDeletedMixin
from admin_ui.operator import operator_of
from exchange.core.errors import DomainError
from exchange.markets.actions import (
    MARKET_CHANGEABLE,
    do_change_market,
    do_create_market,
    do_remove_fee_override,
    do_set_fee_override,
    do_set_market_status,
)
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
        "halt_on_drift",
    )
    list_filter = ("status", "quote", "halt_on_drift")
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
            changed = {n: getattr(obj, n) for n in form.changed_data if n in MARKET_CHANGEABLE}
            try:
                do_change_market(symbol=obj.symbol, operator=operator_of(request), **changed)
            except DomainError as exc:
                self.message_user(request, f"Not changed: {exc.message}", messages.ERROR)
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
            halt_on_drift=obj.halt_on_drift,
            operator=operator_of(request),
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
            do_set_market_status(symbol=market.symbol, status=status, operator=operator_of(request))
        self.message_user(request, f"{queryset.count()} market(s) set to {status}.")

    @admin.action(description="Halt trading")
    def halt(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.HALT)

    @admin.action(description="Resume trading")
    def resume(self, request: HttpRequest, queryset: QuerySet[Market]) -> None:
        self._set(request, queryset, MarketStatus.TRADING)


@admin.register(FeeOverride)
class FeeOverrideAdmin(admin.ModelAdmin[FeeOverride]):
    """Saving and deleting go through the audited fee-override actions."""

    list_display = ("user", "market", "maker_fee", "taker_fee")
    list_filter = ("market",)
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: FeeOverride | None = None
    ) -> tuple[str, ...]:
        # Whose override and where it applies are its identity: a new one for another.
        return ("user", "market") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: FeeOverride, form: Any, change: bool) -> None:
        saved = do_set_fee_override(
            user_id=obj.user_id,
            market=obj.market,
            maker_fee=obj.maker_fee,
            taker_fee=obj.taker_fee,
            operator=operator_of(request),
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: FeeOverride) -> None:
        do_remove_fee_override(fee_override_id=obj.pk, operator=operator_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FeeOverride]) -> None:
        for override in queryset:
            self.delete_model(request, override)
