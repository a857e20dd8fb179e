"""The caller's live data as GraphQL subscriptions (served by ``api/ws/graphql_ws.py``).

Each field's ``subscribe`` turns the user's pub/sub messages (the ones the
Binance user-data streams read) into payloads; its ``resolve`` runs per payload
in a worker thread (the transport executes each event synchronously), reading
the rows the event names, so every event has the same types as the queries.
An order is sent with the state the event reports (status and running totals),
not a later one read from the database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import graphene
from channels.db import database_sync_to_async
from graphql import GraphQLError

from api.graphql.core.auth import require_user
from api.graphql.futures.types import FuturesPosition, MarkPrice
from api.graphql.markets.types import OrderBook, PublicTrade
from api.graphql.orders.types import Order, Trade
from api.graphql.wallets.types import Balance
from api.ws.channel_feed import channel_messages
from exchange.core.user_channel import user_events_channel
from exchange.events.futures import decode_futures_message, futures_events_channel
from exchange.events.futures_market import (
    FuturesBookTop,
    MarkPriceEvent,
    futures_market_channel,
)
from exchange.events.market import TOP_DEPTHS, BookTop, TradeEvent, market_channel
from exchange.events.user import ExecutionReport, OrderUpdate, decode_user_message
from exchange.futures.account_summary import PositionFigures, account_figures
from exchange.futures.errors import FuturesError
from exchange.futures.marks import mark_of
from exchange.futures.selectors import get_contract
from exchange.markets.errors import MarketError
from exchange.markets.selectors import get_market
from exchange.orders.models import Order as OrderModel
from exchange.orders.models import Trade as TradeModel
from exchange.orders.selectors import Fill
from exchange.wallets.models import Asset
from exchange.wallets.models import Balance as BalanceModel

READ = "Needs a session, a token or an API key with `read` on connection_init."


async def _user_messages(info: graphene.ResolveInfo) -> AsyncIterator[Any]:
    user = require_user(info, "read")
    async for text in channel_messages(user_events_channel(user.pk)):
        yield decode_user_message(text)


async def _market_messages(symbol: str, topic: str) -> AsyncIterator[Any]:
    try:
        market = await database_sync_to_async(get_market)(symbol)
    except MarketError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code.value}) from exc
    async for text in channel_messages(market_channel(market.symbol, topic)):
        yield json.loads(text)


async def _contract_messages(symbol: str, topic: str) -> AsyncIterator[Any]:
    try:
        contract = await database_sync_to_async(get_contract)(symbol)
    except FuturesError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code.value}) from exc
    async for text in channel_messages(futures_market_channel(contract.symbol, topic)):
        yield json.loads(text)


def _public_trade(event: TradeEvent) -> dict[str, Any]:
    price, quantity = Decimal(event["price"]), Decimal(event["qty"])
    return {
        "id": event["trade_id"],
        "price": price,
        "quantity": quantity,
        "quote_quantity": price * quantity,
        "time": event["trade_time"],
        "is_buyer_maker": event["buyer_is_maker"],
    }


def _order_book(event: BookTop | FuturesBookTop) -> dict[str, Any]:
    def levels(side: list[Any]) -> list[dict[str, Decimal]]:
        return [{"price": Decimal(p), "quantity": Decimal(q)} for p, q in side]

    return {
        "last_update_id": event["last_update_id"],
        "bids": levels(event["bids"]),
        "asks": levels(event["asks"]),
    }


DepthChoice = graphene.Enum(
    "BookDepth", [(f"TOP_{n}", n) for n in TOP_DEPTHS], description="Levels per side."
)


class Subscription(graphene.ObjectType):
    market_trades = graphene.Field(
        PublicTrade,
        required=True,
        symbol=graphene.String(required=True),
        description="Each trade of a spot market. Public.",
    )
    order_book = graphene.Field(
        OrderBook,
        required=True,
        symbol=graphene.String(required=True),
        depth=DepthChoice(default_value=TOP_DEPTHS[0]),
        description="A spot market's best levels whenever a batch changed them. Public.",
    )
    futures_trades = graphene.Field(
        PublicTrade,
        required=True,
        symbol=graphene.String(required=True),
        description="Each trade of a futures contract. Public.",
    )
    futures_order_book = graphene.Field(
        OrderBook,
        required=True,
        symbol=graphene.String(required=True),
        depth=DepthChoice(default_value=TOP_DEPTHS[0]),
        description="A futures contract's best levels whenever a batch changed them. Public.",
    )
    mark_price = graphene.Field(
        MarkPrice,
        required=True,
        symbol=graphene.String(required=True),
        description="A futures contract's mark price each second the price feed publishes. Public.",
    )
    my_orders = graphene.Field(
        Order, required=True, description=f"Each change of one of the caller's spot orders. {READ}"
    )
    my_trades = graphene.Field(
        Trade, required=True, description=f"Each fill of the caller's spot orders. {READ}"
    )
    my_balances = graphene.List(
        graphene.NonNull(Balance),
        required=True,
        description=f"The spot balances one change touched, as they are after it. {READ}",
    )
    my_futures_positions = graphene.List(
        graphene.NonNull(FuturesPosition),
        required=True,
        description=f"The futures positions one clearing batch changed, after it. {READ}",
    )

    @staticmethod
    async def subscribe_market_trades(
        root: Any, info: graphene.ResolveInfo, symbol: str
    ) -> AsyncIterator[Any]:
        async for event in _market_messages(symbol, "trade"):
            yield event

    @staticmethod
    def resolve_market_trades(
        root: TradeEvent, info: graphene.ResolveInfo, symbol: str
    ) -> dict[str, Any]:
        return _public_trade(root)

    @staticmethod
    async def subscribe_order_book(
        root: Any, info: graphene.ResolveInfo, symbol: str, depth: int
    ) -> AsyncIterator[Any]:
        async for event in _market_messages(symbol, f"top{depth}"):
            yield event

    @staticmethod
    def resolve_order_book(
        root: BookTop, info: graphene.ResolveInfo, symbol: str, depth: int
    ) -> dict[str, Any]:
        return _order_book(root)

    @staticmethod
    async def subscribe_futures_trades(
        root: Any, info: graphene.ResolveInfo, symbol: str
    ) -> AsyncIterator[Any]:
        async for event in _contract_messages(symbol, "trade"):
            yield event

    @staticmethod
    def resolve_futures_trades(
        root: TradeEvent, info: graphene.ResolveInfo, symbol: str
    ) -> dict[str, Any]:
        return _public_trade(root)

    @staticmethod
    async def subscribe_futures_order_book(
        root: Any, info: graphene.ResolveInfo, symbol: str, depth: int
    ) -> AsyncIterator[Any]:
        async for event in _contract_messages(symbol, f"top{depth}"):
            yield event

    @staticmethod
    def resolve_futures_order_book(
        root: FuturesBookTop, info: graphene.ResolveInfo, symbol: str, depth: int
    ) -> dict[str, Any]:
        return _order_book(root)

    @staticmethod
    async def subscribe_mark_price(
        root: Any, info: graphene.ResolveInfo, symbol: str
    ) -> AsyncIterator[Any]:
        async for event in _contract_messages(symbol, "mark_price"):
            yield event

    @staticmethod
    def resolve_mark_price(
        root: MarkPriceEvent, info: graphene.ResolveInfo, symbol: str
    ) -> dict[str, Any]:
        return {
            "symbol": root["symbol"],
            "time": root["time"],
            "mark_price": Decimal(root["mark_price"]),
            "index_price": Decimal(root["index_price"]),
            "estimated_settle_price": Decimal(root["estimated_settle_price"]),
            "funding_rate": Decimal(root["funding_rate"]),
            "next_funding_time": root["next_funding_time"],
        }

    @staticmethod
    async def subscribe_my_orders(root: Any, info: graphene.ResolveInfo) -> AsyncIterator[Any]:
        async for message in _user_messages(info):
            for update in message.get("orders", ()):
                yield update

    @staticmethod
    def resolve_my_orders(root: OrderUpdate, info: graphene.ResolveInfo) -> OrderModel:
        user = require_user(info, "read")
        order = OrderModel.objects.get(pk=root["order_id"], user=user)
        order.status = root["status"]
        order.executed_qty = Decimal(root["executed_qty"])
        order.cumulative_quote_qty = Decimal(root["cumulative_quote_qty"])
        return order

    @staticmethod
    async def subscribe_my_trades(root: Any, info: graphene.ResolveInfo) -> AsyncIterator[Any]:
        async for message in _user_messages(info):
            for execution in message.get("executions", ()):
                if execution["execution"] == "TRADE":
                    yield execution

    @staticmethod
    def resolve_my_trades(root: ExecutionReport, info: graphene.ResolveInfo) -> Fill:
        require_user(info, "read")
        trade = TradeModel.objects.get(market__symbol=root["symbol"], trade_id=root["trade_id"])
        return Fill(trade=trade, order_id=root["order_id"])

    @staticmethod
    async def subscribe_my_balances(root: Any, info: graphene.ResolveInfo) -> AsyncIterator[Any]:
        async for message in _user_messages(info):
            if message.get("balances"):
                yield message["balances"]

    @staticmethod
    def resolve_my_balances(root: list[Any], info: graphene.ResolveInfo) -> list[BalanceModel]:
        return [
            BalanceModel(
                asset=Asset(code=b["asset"]),
                available=Decimal(b["free"]),
                locked=Decimal(b["locked"]),
            )
            for b in sorted(root, key=lambda b: b["asset"])
        ]

    @staticmethod
    async def subscribe_my_futures_positions(
        root: Any, info: graphene.ResolveInfo
    ) -> AsyncIterator[Any]:
        user = require_user(info, "read")
        async for text in channel_messages(futures_events_channel(user.pk)):
            message = decode_futures_message(text)
            # a leverage set is a configuration change, but the position shows it
            symbols = {p["symbol"] for p in message["positions"]} | {
                c["symbol"] for c in message.get("config", [])
            }
            if symbols:
                yield symbols

    @staticmethod
    def resolve_my_futures_positions(
        root: set[str], info: graphene.ResolveInfo
    ) -> list[PositionFigures]:
        user = require_user(info, "read")
        positions = account_figures(user=user, mark_of=mark_of).positions
        return [p for p in positions if p.contract.symbol in root]
