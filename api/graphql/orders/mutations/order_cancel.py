"""cancelOrder: ask the engine to cancel one open order; clearing records the outcome."""

from __future__ import annotations

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.core.ids import parse_id
from api.graphql.orders.types import Order, OrderError, OrderErrorCode
from exchange.orders.actions import do_cancel_order
from exchange.orders.errors import OrderError as DomainOrderError
from exchange.orders.errors import OrderErrorCode as DomainOrderErrorCode
from exchange.orders.requests import CancelRequest


class CancelOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    The order is returned as it was when the cancel was sent; its status turns
    CANCELED once the engine has answered.
    """

    class Arguments:
        symbol = graphene.String(description="Narrows the search to one market")
        order_id = graphene.ID()
        client_order_id = graphene.String()

    order = graphene.Field(Order)
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        symbol: str | None = None,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> CancelOrder:
        user = require_user(info, "trade")
        pk = None
        if order_id is not None:
            pk = parse_id(order_id)
            if pk is None:
                raise DomainOrderError(
                    DomainOrderErrorCode.ORDER_NOT_FOUND, "Order does not exist."
                )
        request = CancelRequest.parse(symbol=symbol, order_id=pk, client_order_id=client_order_id)
        order = do_cancel_order(user=user, request=request)
        return cls(order=order, errors=[])
