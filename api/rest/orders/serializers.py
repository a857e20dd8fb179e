"""Shapes of order requests and responses. Values go to the orders actions as sent:
the rules (and their error codes) live there, the same for every API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.rest.fields import (
    AsciiIntegerField,
    DecimalString,
    EpochMsField,
    IdField,
    LimitField,
    MoneyString,
    page_of,
)
from exchange.core.ids import MAX_ID
from exchange.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from exchange.orders.models import (
    Order,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from exchange.orders.selectors import MAX_TRADES


def _one_of(choices: Any) -> str:
    return "One of " + ", ".join(choices.values) + "."


def _optional(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True, help_text=help_text
    )


class OrderIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = serializers.CharField(max_length=8, help_text=_one_of(Side))
    type = serializers.CharField(max_length=32, help_text=_one_of(OrderType))
    quantity = MoneyString(help_text='Base quantity, a decimal string ("0.015").')
    quote_order_qty = MoneyString(
        help_text="MARKET orders only: spend (buy) or receive (sell) this much quote."
    )
    price = MoneyString(help_text="Limit price (LIMIT, LIMIT_MAKER, *_LIMIT types).")
    stop_price = MoneyString(
        help_text="Trigger price of stop-loss and take-profit types; with trailing_delta the"
        " activation price (optional)."
    )
    trailing_delta = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Stop types only: a trailing stop this many BIPS (0.01 %) behind the best"
        " trade price since activation; 10..2000.",
    )
    time_in_force = _optional(_one_of(TimeInForce) + " Default GTC.")
    client_order_id = _optional(
        "Your id: 1-36 of A-Z a-z 0-9 - _ . : /; held while the order is open and 24 h after;"
        " a retry with the same id and parameters returns the first order."
    )
    self_trade_prevention = _optional(_one_of(SelfTradePrevention) + " Default NONE.")


class OrderOut(serializers.ModelSerializer[Order]):
    symbol = serializers.CharField(source="market.symbol")
    price = DecimalString(allow_null=True)
    stop_price = DecimalString(allow_null=True)
    quantity = DecimalString(source="orig_qty", allow_null=True)
    quote_order_qty = DecimalString(allow_null=True)
    executed_qty = DecimalString()
    cumulative_quote_qty = DecimalString()
    locked_asset = serializers.CharField(source="locked_asset.code")
    locked = DecimalString()
    locked_remaining = DecimalString()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    cancel_requested = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = (
            "id",
            "symbol",
            "client_order_id",
            "side",
            "type",
            "time_in_force",
            "self_trade_prevention",
            "price",
            "stop_price",
            "trailing_delta",
            "quantity",
            "quote_order_qty",
            "executed_qty",
            "cumulative_quote_qty",
            "status",
            "reject_reason",
            "locked_asset",
            "locked",
            "locked_remaining",
            "cancel_requested",
            "created_at",
            "updated_at",
            "done_at",
        )

    def get_cancel_requested(self, order: Order) -> bool:
        return order.cancel_requested_at is not None


OrderPage = page_of(OrderOut, "OrderPage")


class OrderReplaceIn(OrderIn):
    mode = serializers.CharField(
        max_length=32,
        help_text="STOP_ON_FAILURE (a failed cancel places nothing) or ALLOW_FAILURE "
        "(the new order is placed anyway).",
    )


class ReplaceErrorOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class OrderReplaceOut(serializers.Serializer):
    """The new order, the order its REPLACE cancels (null when the cancel failed under
    ALLOW_FAILURE) and why that cancel failed."""

    order = OrderOut()
    replaced_order_id = serializers.IntegerField(allow_null=True)
    cancel_error = ReplaceErrorOut(allow_null=True)


class OrderAmendIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    new_qty = serializers.CharField(
        max_length=64, help_text="The new original quantity: below the order's, above what filled."
    )
    new_client_order_id = serializers.CharField(
        max_length=36,
        required=False,
        help_text="The order's client id after the amend (a new random one if omitted).",
    )


class OrderAmendOut(serializers.Serializer):
    """The engine's answer to an amend keep priority, and the order after it."""

    amendment_id = serializers.IntegerField(source="pk")
    orig_client_order_id = serializers.CharField(source="old_client_order_id")
    decided_at = serializers.DateTimeField()
    order = OrderOut()


class OrderQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    status = serializers.CharField(
        max_length=200, required=False, help_text="Comma-separated: " + _one_of(OrderStatus)
    )
    open = serializers.BooleanField(
        required=False, default=False, help_text="Only NEW, PENDING_TRIGGER, PARTIALLY_FILLED."
    )
    side = serializers.CharField(max_length=8, required=False, help_text=_one_of(Side))
    start = EpochMsField(help_text="Created from (ms, inclusive).")
    end = EpochMsField(help_text="Created up to (ms, inclusive).")
    cursor = serializers.CharField(max_length=200, required=False)
    limit = LimitField(default=DEFAULT_LIMIT, maximum=MAX_LIMIT)


class ClientOrderQuery(serializers.Serializer):
    client_order_id = serializers.CharField(max_length=64)
    symbol = serializers.CharField(max_length=32, required=False)


class CancelAllIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)


class MyTradeQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    order_id = IdField(required=False, help_text="Only the trades of this order of yours.")
    from_id = AsciiIntegerField(
        min_value=0, max_value=MAX_ID, required=False, help_text="The market's trade id."
    )
    start = EpochMsField()
    end = EpochMsField()
    limit = LimitField(default=500, maximum=MAX_TRADES)


class MyTradeOut(serializers.Serializer):
    """One trade from one of the caller's orders (a self-trade gives two: maker, then taker)."""

    id = serializers.IntegerField(source="trade.trade_id", help_text="The market's trade id.")
    symbol = serializers.CharField(source="trade.market.symbol")
    order_id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=Side.choices)
    is_maker = serializers.BooleanField()
    price = DecimalString(source="trade.price")
    qty = DecimalString(source="trade.qty")
    quote_qty = DecimalString(source="trade.quote_qty")
    commission = DecimalString()
    commission_asset = serializers.CharField(source="commission_asset.code")
    time = serializers.DateTimeField(source="trade.created_at")


class OrderBatchIn(serializers.Serializer):
    orders = serializers.ListField(
        child=serializers.DictField(),
        help_text="1 to 10 orders, each with the fields of POST /api/v1/orders.",
    )


class SlotErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField()  # type: ignore[assignment]  # the error body's name


class OrderBatchSlotOut(serializers.Serializer):
    """One order's answer: exactly one of ``order`` and ``error`` is set."""

    order = OrderOut(allow_null=True)
    error = SlotErrorOut(allow_null=True)


class CancelCountdownIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    countdown_ms = AsciiIntegerField(
        help_text="Cancel every open order in the market unless renewed within this many "
        "ms (1 to 86400000); 0 stops the countdown."
    )


class CancelCountdownOut(serializers.Serializer):
    symbol = serializers.CharField()
    countdown_ms = serializers.IntegerField()
    deadline = serializers.DateTimeField(allow_null=True)
