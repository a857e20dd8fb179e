"""placeOrders: up to 10 orders, each accepted or refused in its own slot (batch entry)."""

from __future__ import annotations

from typing import Any

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation, error_list
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
from exchange.core.errors import DomainError
from exchange.orders.batch import check_batch_size, place_order_batch
from exchange.orders.requests import OrderRequest


class OrderInput(graphene.InputObjectType):
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


class PlaceOrderSlot(graphene.ObjectType):
    """One order's answer: the order, or its errors (never both)."""

    order = graphene.Field(Order)
    errors = graphene.List(graphene.NonNull(OrderError), required=True)


def _request(item: dict[str, Any]) -> OrderRequest | DomainError:
    try:
        return OrderRequest.parse(
            symbol=item["symbol"],
            side=enum_value(item["side"]),
            type=enum_value(item["type"]),
            quantity=item.get("quantity"),
            quote_order_qty=item.get("quote_order_qty"),
            price=item.get("price"),
            stop_price=item.get("stop_price"),
            time_in_force=enum_value(item.get("time_in_force")),
            client_order_id=item.get("client_order_id"),
            self_trade_prevention=enum_value(item.get("self_trade_prevention")),
        )
    except DomainError as exc:
        return exc


class PlaceOrders(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    The accepted orders are stored in one transaction and reach the engine in
    one append; a refused order (its own `errors`) leaves the others alone.
    """

    class Arguments:
        orders = graphene.List(graphene.NonNull(OrderInput), required=True)

    results = graphene.List(
        graphene.NonNull(PlaceOrderSlot),
        description="One slot per order, in order; null when the whole batch is refused",
    )
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, orders: list[dict[str, Any]]
    ) -> PlaceOrders:
        user = require_user(info, "trade")
        check_batch_size(len(orders))
        slots = place_order_batch(user=user, requests=[_request(item) for item in orders])
        return cls(
            results=[
                PlaceOrderSlot(order=s.order, errors=error_list(s.error) if s.error else [])
                for s in slots
            ],
            errors=[],
        )
