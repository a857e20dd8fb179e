"""Shapes of the native futures requests and answers. Values go to the futures typed
requests as sent: the rules and their error codes live there, as for ``/fapi``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.rest.fields import AsciiIntegerField, DecimalString, EpochMsField, MoneyString
from exchange.core.ids import MAX_ID
from exchange.futures.models import (
    AutoCloseType,
    ForcedOrder,
    FuturesOrder,
    FuturesOrderStatus,
    FuturesOrderType,
    FuturesTimeInForce,
    FuturesTransfer,
    IncomeType,
    IsolatedMarginChange,
    MarginType,
    OrderSide,
    TransferDirection,
    WorkingType,
)

MAX_ROWS = 1000


def _one_of(choices: Any) -> str:
    return "One of " + ", ".join(choices.values) + "."


def _optional(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=64, required=False, allow_null=True, allow_blank=True, help_text=help_text
    )


def _limit(default: int) -> AsciiIntegerField:
    return AsciiIntegerField(
        min_value=1,
        max_value=MAX_ROWS,
        default=default,
        help_text=f"1..{MAX_ROWS} (default {default}).",
    )


class BracketOut(serializers.Serializer):
    tier = serializers.IntegerField()
    notional_floor = DecimalString()
    notional_cap = DecimalString()
    max_leverage = serializers.IntegerField()
    maintenance_rate = DecimalString()
    maintenance_amount = DecimalString(help_text="Subtracted: maintenance = notional x rate - it.")


class ContractOut(serializers.Serializer):
    symbol = serializers.CharField()
    base_asset = serializers.CharField(source="base_asset.code")
    quote_asset = serializers.CharField(source="quote_asset.code")
    margin_asset = serializers.CharField(source="margin_asset.code")
    status = serializers.CharField()
    tick_size = DecimalString()
    step_size = DecimalString()
    min_notional = DecimalString()
    maker_fee = DecimalString()
    taker_fee = DecimalString()
    liquidation_fee = DecimalString()
    funding_interval_seconds = serializers.IntegerField()
    interest_rate = DecimalString()
    funding_cap = DecimalString()
    brackets = BracketOut(many=True, source="tiers")


class PremiumOut(serializers.Serializer):
    """The price feed's latest figures; zeros and ``time`` 0 before its first second."""

    symbol = serializers.CharField()
    mark_price = DecimalString()
    index_price = DecimalString()
    last_funding_rate = DecimalString(
        source="funding_rate", help_text="The rate the next funding applies."
    )
    interest_rate = DecimalString()
    next_funding_time = serializers.IntegerField(help_text="ms since the epoch; 0 if unknown.")
    time = serializers.IntegerField(help_text="ms since the epoch of these figures.")


class FundingRateQuery(serializers.Serializer):
    start = EpochMsField(help_text="From (ms, inclusive).")
    end = EpochMsField(help_text="Up to (ms, inclusive).")
    limit = _limit(100)


class FundingRateOut(serializers.Serializer):
    symbol = serializers.CharField()
    funding_rate = DecimalString(source="rate")
    funding_time = serializers.IntegerField()
    mark_price = DecimalString()


class FuturesOrderIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    side = serializers.CharField(max_length=8, help_text=_one_of(OrderSide))
    type = serializers.CharField(max_length=32, help_text=_one_of(FuturesOrderType))
    quantity = MoneyString(help_text='Contracts in the base asset, a decimal string ("0.015").')
    price = MoneyString(help_text="Limit price (LIMIT, STOP, TAKE_PROFIT).")
    stop_price = MoneyString(help_text="Trigger price of the STOP and TAKE_PROFIT types.")
    activation_price = MoneyString(
        help_text="TRAILING_STOP_MARKET: start trailing when the working price reaches this"
        " (omitted: trail at once)."
    )
    callback_rate = MoneyString(
        help_text="TRAILING_STOP_MARKET: fire this many % back from the best price (0.1-10)."
    )
    time_in_force = _optional(_one_of(FuturesTimeInForce) + " Default GTC.")
    working_type = _optional(_one_of(WorkingType) + " The price that triggers a stop.")
    reduce_only = serializers.BooleanField(required=False, default=False)
    close_position = serializers.BooleanField(
        required=False,
        default=False,
        help_text="STOP_MARKET / TAKE_PROFIT_MARKET without quantity: close the whole position.",
    )
    client_order_id = _optional(
        "Your id: 1-36 of A-Z a-z 0-9 - _ . : /; a retry with the same id returns the first order."
    )


class FuturesOrderOut(serializers.ModelSerializer[FuturesOrder]):
    symbol = serializers.CharField(source="contract.symbol")
    price = DecimalString(allow_null=True)
    stop_price = DecimalString(allow_null=True)
    activation_price = DecimalString(allow_null=True)
    callback_rate = DecimalString(allow_null=True)
    quantity = DecimalString()
    executed_qty = DecimalString()
    status = serializers.ChoiceField(choices=FuturesOrderStatus.choices)
    accepted = serializers.BooleanField(
        help_text="The engine's decision is recorded; until then status is NEW."
    )

    class Meta:
        model = FuturesOrder
        fields = (
            "id",
            "symbol",
            "client_order_id",
            "side",
            "type",
            "time_in_force",
            "price",
            "stop_price",
            "activation_price",
            "callback_rate",
            "working_type",
            "quantity",
            "executed_qty",
            "reduce_only",
            "close_position",
            "triggered",
            "status",
            "reject_reason",
            "accepted",
            "created_at",
            "updated_at",
        )


class FuturesOrderQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    open = serializers.BooleanField(required=False, default=False, help_text="Only open orders.")
    limit = _limit(100)


class PositionOut(serializers.Serializer):
    """A position with the engine's formulas over the cleared rows and the latest mark."""

    symbol = serializers.CharField(source="contract.symbol")
    size = DecimalString(help_text="Signed: > 0 long, < 0 short.")
    entry_price = DecimalString()
    mark_price = DecimalString(source="mark")
    notional = DecimalString()
    unrealized_pnl = DecimalString()
    leverage = serializers.IntegerField()
    initial_margin = DecimalString()
    maintenance_margin = DecimalString()
    open_order_margin = DecimalString()
    max_notional = DecimalString(help_text="The largest notional the leverage allows.")
    liquidation_price = DecimalString(help_text="0 when the position cannot be liquidated.")


class FuturesAssetOut(serializers.Serializer):
    asset = serializers.CharField(source="asset.code")
    wallet_balance = DecimalString(source="wallet")
    unrealized_pnl = DecimalString()
    equity = DecimalString()
    initial_margin = DecimalString()
    maintenance_margin = DecimalString()
    open_order_margin = DecimalString()
    available = DecimalString()
    max_withdraw = DecimalString()


class FuturesAccountOut(serializers.Serializer):
    assets = FuturesAssetOut(many=True)
    positions = PositionOut(many=True)


class LeverageIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    leverage = serializers.CharField(max_length=8, help_text="1 to the contract's top bracket.")


class MarginTypeIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    margin_type = serializers.CharField(max_length=16, help_text=_one_of(MarginType))


class SettingOut(serializers.Serializer):
    """The change as sent to the engine; the position shows it once the engine took it."""

    symbol = serializers.CharField()
    leverage = serializers.IntegerField(required=False)
    margin_type = serializers.CharField(required=False)


class TransferIn(serializers.Serializer):
    asset = serializers.CharField(max_length=16, help_text="A margin asset (USDT).")
    amount = MoneyString(required=True)
    direction = serializers.CharField(max_length=8, help_text=_one_of(TransferDirection))
    client_request_id = _optional("Your id; a retry with the same id is the same transfer.")


class TransferOut(serializers.ModelSerializer[FuturesTransfer]):
    asset = serializers.CharField(source="asset.code")
    amount = DecimalString()

    class Meta:
        model = FuturesTransfer
        fields = (
            "id",
            "asset",
            "direction",
            "amount",
            "client_request_id",
            "status",
            "refusal",
            "created_at",
            "decided_at",
        )


class TransferQuery(serializers.Serializer):
    limit = _limit(100)


class IncomeQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    income_type = serializers.CharField(
        max_length=16, required=False, help_text=_one_of(IncomeType)
    )
    start = EpochMsField(help_text="From (ms, inclusive).")
    end = EpochMsField(help_text="Up to (ms, inclusive).")
    limit = _limit(100)


class IncomeOut(serializers.Serializer):
    time = serializers.DateTimeField()
    symbol = serializers.CharField(allow_null=True)
    asset = serializers.CharField(source="asset.code")
    income_type = serializers.CharField()
    amount = DecimalString()
    info = serializers.CharField()


class FuturesTradeQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    order_id = AsciiIntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Only this order's."
    )
    from_id = AsciiIntegerField(
        min_value=0, max_value=MAX_ID, required=False, help_text="The contract's trade id."
    )
    start = EpochMsField(help_text="From (ms, inclusive).")
    end = EpochMsField(help_text="Up to (ms, inclusive).")
    limit = _limit(500)


class FuturesTradeOut(serializers.Serializer):
    """One fill from the caller's side; ``liquidation`` marks a liquidation's fill."""

    id = serializers.IntegerField(source="trade.trade_seq", help_text="Per-contract trade id.")
    order_id = serializers.IntegerField()
    side = serializers.CharField()
    is_maker = serializers.BooleanField()
    price = DecimalString(source="trade.price")
    qty = DecimalString(source="trade.qty")
    quote_qty = DecimalString(source="trade.quote_qty")
    commission = DecimalString()
    realized_pnl = DecimalString()
    liquidation = serializers.BooleanField(source="trade.liquidation")
    time = serializers.DateTimeField(source="trade.time")


class IsolatedMarginIn(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    amount = MoneyString(required=True, help_text="How much margin to move.")
    direction = serializers.ChoiceField(
        choices=["ADD", "REDUCE"],
        help_text="ADD: from the cross wallet into the position; REDUCE: back.",
    )


class IsolatedMarginOut(serializers.ModelSerializer[IsolatedMarginChange]):
    """The change as recorded; ``result`` is the engine's answer ("OK" or why it refused),
    empty until clearing has it."""

    symbol = serializers.CharField(source="contract.symbol")
    amount = DecimalString(help_text="Signed: > 0 added, < 0 taken back.")

    class Meta:
        model = IsolatedMarginChange
        fields = ("id", "symbol", "amount", "result", "created_at", "decided_at")


class LiquidationQuery(serializers.Serializer):
    symbol = serializers.CharField(max_length=32, required=False)
    auto_close_type = serializers.CharField(
        max_length=16, required=False, help_text=_one_of(AutoCloseType)
    )
    start = EpochMsField(help_text="From (ms, inclusive); without it, the 7 days before end.")
    end = EpochMsField(help_text="Up to (ms, inclusive).")
    limit = AsciiIntegerField(min_value=1, max_value=100, default=50, help_text="1..100.")


class LiquidationOut(serializers.ModelSerializer[ForcedOrder]):
    """A close the engine forced on the caller: LIQUIDATION (the caller's position, book
    fills and ADL together) or ADL (the caller's position deleveraged against one)."""

    symbol = serializers.CharField(source="contract.symbol")
    price = DecimalString(help_text="The worst price the close reached.")
    avg_price = DecimalString()
    quantity = DecimalString()
    quote_quantity = DecimalString(source="cum_quote")

    class Meta:
        model = ForcedOrder
        fields = (
            "id",
            "symbol",
            "auto_close_type",
            "side",
            "price",
            "avg_price",
            "quantity",
            "quote_quantity",
            "time",
        )
