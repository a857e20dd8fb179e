"""Markets and their public market data."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.scalars import Decimal
from api.graphql.markets.dataloaders import TickerByMarketLoader
from exchange.events.market import Level
from exchange.marketdata.selectors import (
    MAX_DEPTH,
    MAX_KLINES,
    MAX_RECENT_TRADES,
    kline_list,
    order_book,
    recent_trades,
)
from exchange.marketdata.snapshots import SpotTicker24h
from exchange.markets.models import Market as MarketModel
from exchange.markets.models import MarketStatus as MarketStatusChoices

MarketStatus = choices_enum(
    "MarketStatus", MarketStatusChoices, "TRADING accepts orders; HALT and BREAK do not."
)


class Ticker(graphene.ObjectType):
    """The rolling 24-hour statistics, as market data last published them."""

    price_change = Decimal(required=True)
    price_change_percent = Decimal(required=True)
    weighted_avg_price = Decimal(required=True)
    prev_close_price = Decimal(required=True)
    last_price = Decimal(required=True)
    last_qty = Decimal(required=True)
    bid_price = Decimal(required=True)
    bid_qty = Decimal(required=True)
    ask_price = Decimal(required=True)
    ask_qty = Decimal(required=True)
    open_price = Decimal(required=True)
    high_price = Decimal(required=True)
    low_price = Decimal(required=True)
    volume = Decimal(required=True)
    quote_volume = Decimal(required=True)
    open_time = graphene.BigInt(required=True, description="ms since the epoch")
    close_time = graphene.BigInt(required=True, description="ms since the epoch")
    first_id = graphene.BigInt(required=True, description="First trade id in the window")
    last_id = graphene.BigInt(required=True, description="Last trade id in the window")
    count = graphene.Int(required=True)


class PriceLevel(graphene.ObjectType):
    price = Decimal(required=True)
    quantity = Decimal(required=True)


class OrderBook(graphene.ObjectType):
    last_update_id = graphene.BigInt(
        required=True, description="The engine's update id; diffs after it apply on top."
    )
    bids = graphene.List(graphene.NonNull(PriceLevel), required=True)
    asks = graphene.List(graphene.NonNull(PriceLevel), required=True)


class PublicTrade(graphene.ObjectType):
    id = graphene.BigInt(required=True, description="Per-market trade id")
    price = Decimal(required=True)
    quantity = Decimal(required=True)
    quote_quantity = Decimal(required=True)
    time = graphene.BigInt(required=True, description="ms since the epoch")
    is_buyer_maker = graphene.Boolean(required=True)


class Kline(graphene.ObjectType):
    open_time = graphene.BigInt(required=True, description="ms since the epoch, UTC")
    close_time = graphene.BigInt(required=True)
    open = Decimal(required=True)
    high = Decimal(required=True)
    low = Decimal(required=True)
    close = Decimal(required=True)
    volume = Decimal(required=True)
    quote_volume = Decimal(required=True)
    trades = graphene.Int(required=True)
    taker_buy_volume = Decimal(required=True)
    taker_buy_quote_volume = Decimal(required=True)


def _level(pair: Level) -> dict[str, str]:
    return {"price": pair[0], "quantity": pair[1]}


class Market(graphene.ObjectType):
    symbol = graphene.String(required=True)
    base_asset = graphene.String(required=True)
    quote_asset = graphene.String(required=True)
    status = choice_field(MarketStatus, "status", required=True)
    tick_size = Decimal(required=True)
    step_size = Decimal(required=True)
    min_qty = Decimal(required=True)
    max_qty = Decimal(required=True)
    min_notional = Decimal(required=True)
    max_notional = Decimal()
    maker_fee = Decimal(required=True)
    taker_fee = Decimal(required=True)
    ticker = graphene.Field(Ticker, description="Null until the market's first trade.")
    depth = graphene.Field(
        OrderBook,
        required=True,
        limit=graphene.Int(
            required=True, default_value=100, description=f"Levels per side, 1..{MAX_DEPTH}"
        ),
    )
    trades = graphene.List(
        graphene.NonNull(PublicTrade),
        required=True,
        limit=graphene.Int(
            required=True, default_value=100, description=f"1..{MAX_RECENT_TRADES}, newest last"
        ),
    )
    klines = graphene.List(
        graphene.NonNull(Kline),
        required=True,
        interval=graphene.String(required=True, description="1m, 3m, ... 1d, 3d, 1w, 1M"),
        start=graphene.BigInt(description="open time from, ms since the epoch"),
        end=graphene.BigInt(description="open time to, ms since the epoch"),
        limit=graphene.Int(
            required=True, default_value=500, description=f"1..{MAX_KLINES}, oldest first"
        ),
    )

    @staticmethod
    def resolve_base_asset(root: MarketModel, info: graphene.ResolveInfo) -> str:
        return root.base.code

    @staticmethod
    def resolve_quote_asset(root: MarketModel, info: graphene.ResolveInfo) -> str:
        return root.quote.code

    @staticmethod
    def resolve_ticker(root: MarketModel, info: graphene.ResolveInfo) -> SpotTicker24h | None:
        return TickerByMarketLoader.for_request(info.context).load(root)

    @staticmethod
    def resolve_depth(root: MarketModel, info: graphene.ResolveInfo, limit: int) -> dict[str, Any]:
        book = order_book(root, limit=limit)
        return {
            "last_update_id": book["last_update_id"],
            "bids": [_level(p) for p in book["bids"]],
            "asks": [_level(p) for p in book["asks"]],
        }

    @staticmethod
    def resolve_trades(
        root: MarketModel, info: graphene.ResolveInfo, limit: int
    ) -> list[dict[str, Any]]:
        return [
            {
                "id": t["id"],
                "price": t["price"],
                "quantity": t["qty"],
                "quote_quantity": t["quote_qty"],
                "time": t["time"],
                "is_buyer_maker": t["buyer_maker"],
            }
            for t in recent_trades(root, limit=limit)
        ]

    @staticmethod
    def resolve_klines(
        root: MarketModel,
        info: graphene.ResolveInfo,
        interval: str,
        limit: int,
        start: int | None = None,
        end: int | None = None,
    ) -> Any:
        return kline_list(
            root,
            interval=interval,
            start=start,
            end=end,
            limit=limit,
        )
