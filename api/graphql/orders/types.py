"""Orders, the caller's trades, and order errors."""

from __future__ import annotations

import graphene

from api.graphql.core.connections import connection_type
from api.graphql.core.enums import choice_field, choices_enum
from api.graphql.core.errors import DomainErrorType, code_enum
from api.graphql.core.scalars import Decimal
from api.graphql.markets.types import Market
from api.graphql.orders.dataloaders import MarketByIdLoader, TradesByOrderIdLoader
from exchange.markets.errors import MarketErrorCode
from exchange.markets.models import Market as MarketModel
from exchange.orders import models
from exchange.orders.errors import OrderErrorCode as DomainOrderErrorCode
from exchange.orders.selectors import Fill

OrderSide = choices_enum("OrderSide", models.Side)
OrderType = choices_enum("OrderType", models.OrderType)
TimeInForce = choices_enum("TimeInForce", models.TimeInForce, "Ignored by market orders.")
SelfTradePrevention = choices_enum(
    "SelfTradePrevention",
    models.SelfTradePrevention,
    "What happens when you would trade with yourself.",
)
OrderStatus = choices_enum(
    "OrderStatus", models.OrderStatus, "NEW, PENDING_TRIGGER and PARTIALLY_FILLED are open."
)
OrderErrorCode = code_enum(
    "OrderErrorCode",
    [DomainOrderErrorCode, MarketErrorCode],
    description="Why an order request was refused: order entry's and the market filters' codes.",
)


class OrderError(DomainErrorType):
    code = graphene.Field(OrderErrorCode, required=True)


class Trade(graphene.ObjectType):
    """One of the caller's trades, from their order's side."""

    id = graphene.BigInt(required=True, description="Per-market trade id")
    market = graphene.Field(Market, required=True)
    order_id = graphene.ID(required=True)
    side = graphene.Field(OrderSide, required=True)
    is_maker = graphene.Boolean(required=True)
    price = Decimal(required=True)
    quantity = Decimal(required=True)
    quote_quantity = Decimal(required=True)
    commission = Decimal(required=True)
    commission_asset = graphene.String(required=True)
    time = graphene.DateTime(required=True)

    @staticmethod
    def resolve_id(root: Fill, info: graphene.ResolveInfo) -> int:
        return root.trade.trade_id

    @staticmethod
    def resolve_market(root: Fill, info: graphene.ResolveInfo) -> MarketModel:
        return MarketByIdLoader.for_request(info.context).load(root.trade.market_id)

    @staticmethod
    def resolve_side(root: Fill, info: graphene.ResolveInfo) -> str:
        return root.side

    @staticmethod
    def resolve_is_maker(root: Fill, info: graphene.ResolveInfo) -> bool:
        return root.is_maker

    @staticmethod
    def resolve_price(root: Fill, info: graphene.ResolveInfo) -> object:
        return root.trade.price

    @staticmethod
    def resolve_quantity(root: Fill, info: graphene.ResolveInfo) -> object:
        return root.trade.qty

    @staticmethod
    def resolve_quote_quantity(root: Fill, info: graphene.ResolveInfo) -> object:
        return root.trade.quote_qty

    @staticmethod
    def resolve_commission(root: Fill, info: graphene.ResolveInfo) -> object:
        return root.commission

    @staticmethod
    def resolve_commission_asset(root: Fill, info: graphene.ResolveInfo) -> str:
        return root.commission_asset.code

    @staticmethod
    def resolve_time(root: Fill, info: graphene.ResolveInfo) -> object:
        return root.trade.created_at


class Order(graphene.ObjectType):
    id = graphene.ID(required=True, description="The engine's order id")
    client_order_id = graphene.String(required=True)
    market = graphene.Field(Market, required=True)
    side = choice_field(OrderSide, "side", required=True)
    type = choice_field(OrderType, "type", required=True)
    time_in_force = choice_field(TimeInForce, "time_in_force")
    self_trade_prevention = choice_field(
        SelfTradePrevention, "self_trade_prevention", required=True
    )
    price = Decimal()
    stop_price = Decimal()
    trailing_delta = graphene.Int(description="Trailing stop distance in BIPS, if one")
    quantity = Decimal(description="Base quantity; null for market orders by quote amount")
    quote_order_qty = Decimal()
    executed_qty = Decimal(required=True)
    cumulative_quote_qty = Decimal(required=True)
    status = choice_field(OrderStatus, "status", required=True)
    reject_reason = graphene.String(required=True)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    trades = graphene.List(
        graphene.NonNull(Trade), required=True, description="This order's fills, oldest first."
    )

    @staticmethod
    def resolve_market(root: models.Order, info: graphene.ResolveInfo) -> MarketModel:
        return MarketByIdLoader.for_request(info.context).load(root.market_id)

    @staticmethod
    def resolve_quantity(root: models.Order, info: graphene.ResolveInfo) -> object:
        return root.orig_qty

    @staticmethod
    def resolve_trades(root: models.Order, info: graphene.ResolveInfo) -> list[Fill]:
        trades = TradesByOrderIdLoader.for_request(info.context).load(root.pk)
        return [Fill(trade=t, order_id=root.pk) for t in trades]


def expect_fills(info: graphene.ResolveInfo, fills: list[Fill]) -> list[Fill]:
    """Announce a list of trades to the loaders their fields use."""
    MarketByIdLoader.for_request(info.context).expect(f.trade.market_id for f in fills)
    return fills


def expect_orders(info: graphene.ResolveInfo, orders: list[models.Order]) -> list[models.Order]:
    """Announce a list of orders to the loaders their fields use (see core.dataloaders)."""
    MarketByIdLoader.for_request(info.context).expect(o.market_id for o in orders)
    TradesByOrderIdLoader.for_request(info.context).expect(o.pk for o in orders)
    return orders


OrderConnection = connection_type(Order)
