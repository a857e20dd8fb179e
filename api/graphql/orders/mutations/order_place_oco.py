"""placeOco: an OCO order list (the first leg to act cancels the other, one hold)."""

from __future__ import annotations

from decimal import Decimal as _Decimal
from typing import Any

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
from exchange.orders.list_requests import LegTerms, OcoRequest
from exchange.orders.list_status import list_status
from exchange.orders.lists import place_oco


class OcoLegInput(graphene.InputObjectType):
    type = OrderType(required=True)
    price = Decimal()
    stop_price = Decimal()
    time_in_force = TimeInForce()
    client_order_id = graphene.String()


def _leg(leg: Any) -> LegTerms:
    return LegTerms(
        type=enum_value(leg.type),
        price=leg.get("price"),
        stop_price=leg.get("stop_price"),
        time_in_force=enum_value(leg.get("time_in_force")),
        client_order_id=leg.get("client_order_id"),
    )


class PlaceOco(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    SELL: `above` is LIMIT_MAKER or TAKE_PROFIT(_LIMIT), `below` STOP_LOSS(_LIMIT);
    BUY: the mirror. The quantity (a BUY: the larger leg's quote) is held once.
    """

    class Arguments:
        symbol = graphene.String(required=True)
        side = OrderSide(required=True)
        quantity = Decimal(required=True)
        above = OcoLegInput(required=True)
        below = OcoLegInput(required=True)
        list_client_order_id = graphene.String()
        self_trade_prevention = SelfTradePrevention()

    order_list_id = graphene.ID()
    list_status_type = graphene.String(description="EXEC_STARTED or ALL_DONE")
    list_order_status = graphene.String(description="EXECUTING, ALL_DONE or REJECT")
    orders = graphene.List(graphene.NonNull(Order), description="The legs: below, then above")
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        symbol: str,
        side: object,
        quantity: _Decimal,
        above: Any,
        below: Any,
        list_client_order_id: str | None = None,
        self_trade_prevention: object = None,
    ) -> PlaceOco:
        user = require_user(info, "trade")
        request = OcoRequest.parse(
            symbol=symbol,
            side=enum_value(side),
            quantity=quantity,
            above=_leg(above),
            below=_leg(below),
            list_client_order_id=list_client_order_id,
            self_trade_prevention=enum_value(self_trade_prevention),
        )
        order_list, legs = place_oco(user=user, request=request)
        status = list_status([leg.status for leg in legs])
        return cls(
            order_list_id=order_list.pk,
            list_status_type=status.status_type,
            list_order_status=status.order_status,
            orders=legs,
            errors=[],
        )
