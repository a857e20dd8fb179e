"""replaceOrder: cancel one open order and place another in ONE engine step (cancel-replace)."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation, error_list
from api.graphql.core.ids import parse_id
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
from exchange.orders.errors import OrderError as DomainOrderError
from exchange.orders.errors import OrderErrorCode as DomainOrderErrorCode
from exchange.orders.models import ReplaceMode as DomainReplaceMode
from exchange.orders.replace import do_replace_order
from exchange.orders.requests import CancelRequest, OrderRequest, ReplaceRequest

ReplaceMode = graphene.Enum.from_enum(DomainReplaceMode)


class ReplaceOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    Nobody can trade between the cancel and the new order. A new order on the
    canceled one's side takes over its lock, so only the difference is locked.
    """

    class Arguments:
        order_id = graphene.ID(required=True, description="The open order to cancel")
        mode = ReplaceMode(required=True)
        symbol = graphene.String(required=True)
        side = OrderSide(required=True)
        type = OrderType(required=True)
        quantity = Decimal()
        quote_order_qty = Decimal()
        price = Decimal()
        stop_price = Decimal()
        time_in_force = TimeInForce()
        client_order_id = graphene.String()
        self_trade_prevention = SelfTradePrevention()

    order = graphene.Field(Order, description="The new order")
    replaced_order = graphene.Field(Order, description="The order being canceled")
    cancel_error = graphene.Field(OrderError, description="Why the cancel failed (ALLOW_FAILURE)")
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        order_id: str,
        mode: object,
        symbol: str,
        side: object,
        type: object,  # noqa: A002 - the argument's name
        quantity: _Decimal | None = None,
        quote_order_qty: _Decimal | None = None,
        price: _Decimal | None = None,
        stop_price: _Decimal | None = None,
        time_in_force: object = None,
        client_order_id: str | None = None,
        self_trade_prevention: object = None,
    ) -> ReplaceOrder:
        user = require_user(info, "trade")
        pk = parse_id(order_id)
        if pk is None:
            raise DomainOrderError(DomainOrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
        request = ReplaceRequest.parse(
            cancel=CancelRequest.parse(symbol=symbol, order_id=pk),
            order=OrderRequest.parse(
                symbol=symbol,
                side=enum_value(side),
                type=enum_value(type),
                quantity=quantity,
                quote_order_qty=quote_order_qty,
                price=price,
                stop_price=stop_price,
                time_in_force=enum_value(time_in_force),
                client_order_id=client_order_id,
                self_trade_prevention=enum_value(self_trade_prevention),
            ),
            mode=enum_value(mode),
        )
        outcome = do_replace_order(user=user, request=request)
        error = outcome.cancel_error
        return cls(
            order=outcome.order,
            replaced_order=outcome.replaced,
            cancel_error=error_list(error)[0] if error else None,
            errors=[],
        )
