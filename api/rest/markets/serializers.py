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
    """The rolling 24-hour ticker (market data's snapshot, Binance's fields in snake case)."""

    symbol = serializers.CharField()
    price_change = serializers.CharField(source="priceChange")
    price_change_percent = serializers.CharField(source="priceChangePercent")
    weighted_avg_price = serializers.CharField(source="weightedAvgPrice")
    prev_close_price = serializers.CharField(source="prevClosePrice")
    last_price = serializers.CharField(source="lastPrice")
    last_qty = serializers.CharField(source="lastQty")
    bid_price = serializers.CharField(source="bidPrice")
    bid_qty = serializers.CharField(source="bidQty")
    ask_price = serializers.CharField(source="askPrice")
    ask_qty = serializers.CharField(source="askQty")
    open_price = serializers.CharField(source="openPrice")
    high_price = serializers.CharField(source="highPrice")
    low_price = serializers.CharField(source="lowPrice")
    volume = serializers.CharField()
    quote_volume = serializers.CharField(source="quoteVolume")
    open_time = serializers.IntegerField(source="openTime")
    close_time = serializers.IntegerField(source="closeTime")
    first_id = serializers.IntegerField(source="firstId")
    last_id = serializers.IntegerField(source="lastId")
    count = serializers.IntegerField()


class DepthQuery(serializers.Serializer):
    limit = LimitField(default=100, maximum=MAX_DEPTH)


class DepthOut(serializers.Serializer):
    last_update_id = serializers.IntegerField(
        source="lastUpdateId", help_text="The engine's book update id of this snapshot."
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
    quote_qty = serializers.CharField(source="quoteQty")
    time = serializers.IntegerField(help_text="ms since the epoch")
    is_buyer_maker = serializers.BooleanField(source="isBuyerMaker")


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
