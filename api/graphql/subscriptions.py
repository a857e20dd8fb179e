"""The caller's live data as GraphQL subscriptions (served by ``api/ws/graphql_ws.py``).

Each field's ``subscribe`` turns the user's pub/sub messages (the ones the
Binance user-data streams read) into payloads; its ``resolve`` runs per payload
in a worker thread (the transport executes each event synchronously), reading
the rows the event names, so every event has the same types as the queries.
An order is sent with the state the event reports (status and running totals),
not a later one read from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import graphene

from api.graphql.core.auth import require_user
from api.graphql.futures.types import FuturesPosition
from api.graphql.orders.types import Order, Trade
from api.graphql.wallets.types import Balance
from api.ws.channel_feed import channel_messages
from exchange.core.user_channel import user_events_channel
from exchange.events.futures import decode_futures_message, futures_events_channel
from exchange.events.user import ExecutionReport, OrderUpdate, decode_user_message
from exchange.futures.account_summary import PositionFigures, account_figures
from exchange.orders.models import Order as OrderModel
from exchange.orders.models import Trade as TradeModel
from exchange.orders.selectors import Fill
from exchange.pricefeed.selectors import latest_mark_price
from exchange.wallets.models import Asset
from exchange.wallets.models import Balance as BalanceModel

READ = "Needs a session, a token or an API key with `read` on connection_init."


async def _user_messages(info: graphene.ResolveInfo) -> AsyncIterator[Any]:
    user = require_user(info, "read")
    async for text in channel_messages(user_events_channel(user.pk)):
        yield decode_user_message(text)


class Subscription(graphene.ObjectType):
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
            symbols = {p["symbol"] for p in decode_futures_message(text)["positions"]}
            if symbols:
                yield symbols

    @staticmethod
    def resolve_my_futures_positions(
        root: set[str], info: graphene.ResolveInfo
    ) -> list[PositionFigures]:
        user = require_user(info, "read")
        positions = account_figures(user=user, mark_of=latest_mark_price).positions
        return [p for p in positions if p.contract.symbol in root]
