"""Back office for orders and trades, read-only."""

from __future__ import annotations

from django.contrib import admin

from admin_ui.admin.mixins import ReadOnlyMixin
from exchange.orders.models import Order, Trade


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, admin.ModelAdmin[Order]):
    list_display = (
        "id",
        "user",
        "market",
        "side",
        "type",
        "price",
        "orig_qty",
        "executed_qty",
        "status",
        "created_at",
    )
    list_filter = ("status", "market", "side", "type")
    search_fields = ("=id", "client_order_id", "user__email")
    list_select_related = ("user", "market")
    date_hierarchy = "created_at"


@admin.register(Trade)
class TradeAdmin(ReadOnlyMixin, admin.ModelAdmin[Trade]):
    list_display = (
        "market",
        "trade_id",
        "price",
        "qty",
        "quote_qty",
        "maker_user",
        "taker_user",
        "created_at",
    )
    list_filter = ("market",)
    search_fields = ("maker_user__email", "taker_user__email", "=trade_id")
    list_select_related = ("market", "maker_user", "taker_user")
    date_hierarchy = "created_at"
