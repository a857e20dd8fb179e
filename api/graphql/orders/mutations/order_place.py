"""placeOrder: order entry's checks, funds locked, the order sent to the engine."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation
from api.graphql.core.scalars import Decimal
from api.graphql.orders.types import (
    Order,
    OrderError,
    OrderErrorCode,
    OrderSide,
    OrderType,
    SelfTradePrevention,
    TimeInForce,
)
from exchange.orders.requests import OrderRequest
from exchange.orders.retries import place_order_once


class PlaceOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    The order comes back as accepted (NEW or PENDING_TRIGGER); fills arrive
    as the engine matches it: query the order again or follow the user stream.
    A retry with the client order id and the parameters of an order placed
    earlier answers with that order (`created: false`) instead of a second one.
    """

    class Arguments:
        symbol = graphene.String(required=True)
        side = OrderSide(required=True)
        type = OrderType(required=True)
        quantity = Decimal()
        quote_order_qty = Decimal(description="MARKET orders only: spend this much quote")
        price = Decimal()
        stop_price = Decimal()
        trailing_delta = graphene.Int(
            description="Stop types only: trail the best trade price by this many BIPS"
            " (10..2000); stop_price is then the optional activation price"
        )
        time_in_force = TimeInForce()
        client_order_id = graphene.String()
        self_trade_prevention = SelfTradePrevention()

    order = graphene.Field(Order)
    created = graphene.Boolean(
        description="False when this call repeated an earlier one and returns its order"
    )
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        symbol: str,
        side: object,
        type: object,  # noqa: A002 - the argument's name
        quantity: _Decimal | None = None,
        quote_order_qty: _Decimal | None = None,
        price: _Decimal | None = None,
        stop_price: _Decimal | None = None,
        trailing_delta: int | None = None,
        time_in_force: object = None,
        client_order_id: str | None = None,
        self_trade_prevention: object = None,
    ) -> PlaceOrder:
        user = require_user(info, "trade")
        request = OrderRequest.parse(
            symbol=symbol,
            side=enum_value(side),
            type=enum_value(type),
            quantity=quantity,
            quote_order_qty=quote_order_qty,
            price=price,
            stop_price=stop_price,
            trailing_delta=trailing_delta,
            time_in_force=enum_value(time_in_force),
            client_order_id=client_order_id,
            self_trade_prevention=enum_value(self_trade_prevention),
        )
        order, created = place_order_once(user=user, request=request)
        return cls(order=order, created=created, errors=[])
