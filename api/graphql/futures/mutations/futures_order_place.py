"""placeFuturesOrder: the futures order request, stored and sent to the futures engine."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation
from api.graphql.core.scalars import Decimal
from api.graphql.futures.types import (
    FuturesError,
    FuturesErrorCode,
    FuturesOrder,
    FuturesOrderType,
    FuturesTimeInForce,
    WorkingType,
)
from api.graphql.orders.types import OrderSide
from exchange.futures.requests import FuturesOrderRequest
from exchange.futures.services import place_futures_order


class PlaceFuturesOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    The engine decides margin when it takes the order, right after: the order comes
    back NEW with `accepted: false`; query it again (or follow the user stream) for
    the engine's answer, a fill or a REJECTED `rejectReason` (INSUFFICIENT_MARGIN,
    REDUCE_ONLY, POST_ONLY_WOULD_TAKE...). A retried client order id answers the first
    order.
    """

    class Arguments:
        symbol = graphene.String(required=True)
        side = OrderSide(required=True)
        type = FuturesOrderType(required=True)
        quantity = Decimal(description="Omitted with closePosition")
        price = Decimal()
        stop_price = Decimal()
        activation_price = Decimal(description="TRAILING_STOP_MARKET: trail from this price on")
        callback_rate = Decimal(description="TRAILING_STOP_MARKET: percent back from the best")
        time_in_force = FuturesTimeInForce()
        working_type = WorkingType()
        reduce_only = graphene.Boolean(default_value=False)
        close_position = graphene.Boolean(default_value=False)
        client_order_id = graphene.String()

    order = graphene.Field(FuturesOrder)
    errors = graphene.List(graphene.NonNull(FuturesError), required=True)

    error_codes = FuturesErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        symbol: str,
        side: object,
        type: object,  # noqa: A002 - the argument's name
        reduce_only: bool,
        close_position: bool,
        quantity: _Decimal | None = None,
        price: _Decimal | None = None,
        stop_price: _Decimal | None = None,
        activation_price: _Decimal | None = None,
        callback_rate: _Decimal | None = None,
        time_in_force: object = None,
        working_type: object = None,
        client_order_id: str | None = None,
    ) -> PlaceFuturesOrder:
        user = require_user(info, "trade")
        request = FuturesOrderRequest.parse(
            symbol=symbol,
            side=enum_value(side),
            type=enum_value(type),
            quantity=quantity,
            price=price,
            stop_price=stop_price,
            activation_price=activation_price,
            callback_rate=callback_rate,
            time_in_force=enum_value(time_in_force),
            working_type=enum_value(working_type),
            reduce_only=reduce_only,
            close_position=close_position,
            client_order_id=client_order_id,
        )
        return cls(order=place_futures_order(user=user, request=request), errors=[])
