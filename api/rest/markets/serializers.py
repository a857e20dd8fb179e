"""Shapes of markets and public market data. No rules here."""

from __future__ import annotations

from rest_framework import serializers

from api.rest.fields import DecimalString, EpochMsField, LimitField
from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.selectors import MAX_DEPTH, MAX_KLINES, MAX_RECENT_TRADES
from exchange.markets.models import Market


class MarketOut(serializers.ModelSerializer[Market]):
    base = serializers.CharField(source="base.code")
    quote = serializers.CharField(source="quote.code")
    tick_size = DecimalString()
    step_size = DecimalString()
    min_qty = DecimalString()
    max_qty = DecimalString()
    min_notional = DecimalString()
    max_notional = DecimalString(allow_null=True)
    maker_fee = DecimalString()
    taker_fee = DecimalString()

    class Meta:
        model = Market
        fields = (
            "symbol",
            "base",
            "quote",
            "status",
            "tick_size",
            "step_size",
            "min_qty",
            "max_qty",
            "min_notional",
            "max_notional",
            "maker_fee",
            "taker_fee",
        )


class TickerOut(serializers.Serializer):
    """The rolling 24-hour ticker (market data's ticker snapshot)."""

    symbol = serializers.CharField()
    price_change = serializers.CharField()
    price_change_percent = serializers.CharField()
    weighted_avg_price = serializers.CharField()
    prev_close_price = serializers.CharField()
    last_price = serializers.CharField()
    last_qty = serializers.CharField()
    bid_price = serializers.CharField()
    bid_qty = serializers.CharField()
    ask_price = serializers.CharField()
    ask_qty = serializers.CharField()
    open_price = serializers.CharField()
    high_price = serializers.CharField()
    low_price = serializers.CharField()
    volume = serializers.CharField()
    quote_volume = serializers.CharField()
    open_time = serializers.IntegerField()
    close_time = serializers.IntegerField()
    first_id = serializers.IntegerField()
    last_id = serializers.IntegerField()
    count = serializers.IntegerField()


class DepthQuery(serializers.Serializer):
    limit = LimitField(default=100, maximum=MAX_DEPTH)


class DepthOut(serializers.Serializer):
    last_update_id = serializers.IntegerField(
        help_text="The engine's book update id of this snapshot."
    )
    bids = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text='Best first: [["price", "quantity"], ...].',
    )
    asks = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2)
    )


class PublicTradesQuery(serializers.Serializer):
    limit = LimitField(default=500, maximum=MAX_RECENT_TRADES)


class PublicTradeOut(serializers.Serializer):
    id = serializers.IntegerField()
    price = serializers.CharField()
    qty = serializers.CharField()
    quote_qty = serializers.CharField()
    time = serializers.IntegerField(help_text="ms since the epoch")
    is_buyer_maker = serializers.BooleanField(source="buyer_maker")


class KlineQuery(serializers.Serializer):
    interval = serializers.CharField(max_length=8, help_text=f"One of {', '.join(INTERVALS)}.")
    start = EpochMsField(help_text="Open time from (ms, inclusive).")
    end = EpochMsField(help_text="Open time up to (ms, inclusive).")
    limit = LimitField(default=500, maximum=MAX_KLINES)


class KlineOut(serializers.Serializer):
    open_time = serializers.IntegerField()
    close_time = serializers.IntegerField()
    open = DecimalString()
    high = DecimalString()
    low = DecimalString()
    close = DecimalString()
    volume = DecimalString()
    quote_volume = DecimalString()
    trades = serializers.IntegerField()
    taker_buy_volume = DecimalString()
    taker_buy_quote_volume = DecimalString()
