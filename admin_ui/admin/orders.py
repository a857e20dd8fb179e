"""Back office for orders and trades, read-only."""

from __future__ import annotations

from django.contrib import admin

from admin_ui.admin.mixins import ReadOnlyMixin
from admin_ui.amounts import amount_column
from exchange.orders.models import ClosedOrder, Order, Trade


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, admin.ModelAdmin[Order]):
    list_display = (
        "id",
        "user",
        "market",
        "side",
        "type",
        amount_column("price", "market.quote"),
        amount_column("orig_qty", "market.base", description="quantity"),
        amount_column("executed_qty", "market.base", description="executed"),
        "status",
        "created_at",
    )
    list_filter = ("status", "market", "side", "type", "time_in_force")
    search_fields = ("=id", "=client_order_id", "user__email")
    search_help_text = "Order id, client order id, or the user's email (or part of it)."
    list_select_related = ("user", "market__base", "market__quote")
    date_hierarchy = "created_at"


@admin.register(ClosedOrder)
class ClosedOrderAdmin(ReadOnlyMixin, admin.ModelAdmin[ClosedOrder]):
    """Orders closed ORDER_HISTORY_DAYS ago, moved out of the Orders page (ADR 0050)."""

    list_display = OrderAdmin.list_display
    list_filter = ("status", "market", "side", "type")
    search_fields = OrderAdmin.search_fields
    search_help_text = OrderAdmin.search_help_text
    list_select_related = OrderAdmin.list_select_related
    date_hierarchy = "created_at"


@admin.register(Trade)
class TradeAdmin(ReadOnlyMixin, admin.ModelAdmin[Trade]):
    list_display = (
        "market",
        "trade_id",
        amount_column("price", "market.quote"),
        amount_column("qty", "market.base", description="quantity"),
        amount_column("quote_qty", "market.quote", description="quote quantity"),
        "maker_user",
        "taker_user",
        "created_at",
    )
    list_filter = ("market", "is_buyer_maker")
    search_fields = (
        "=trade_id",
        "=maker_order__id",
        "=taker_order__id",
        "=maker_order__client_order_id",
        "=taker_order__client_order_id",
        "maker_user__email",
        "taker_user__email",
    )
    search_help_text = "Trade id, either side's order id or client order id, or a user's email."
    list_select_related = ("market__base", "market__quote", "maker_user", "taker_user")
    date_hierarchy = "created_at"
