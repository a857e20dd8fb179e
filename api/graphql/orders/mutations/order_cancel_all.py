"""cancelAllOrders: cancel every open order of the caller in one market."""

from __future__ import annotations

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.orders.types import Order, OrderError, OrderErrorCode, expect_orders
from exchange.orders.actions import do_cancel_all_orders


class CancelAllOrders(DomainMutation):
    """Needs the `trade` permission when called with an API key."""

    class Arguments:
        symbol = graphene.String(required=True)

    orders = graphene.List(
        graphene.NonNull(Order), description="The orders asked to cancel; null on error."
    )
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, symbol: str
    ) -> CancelAllOrders:
        user = require_user(info, "trade")
        orders = do_cancel_all_orders(user=user, symbol=symbol)
        return cls(orders=expect_orders(info, orders), errors=[])
