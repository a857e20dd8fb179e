"""amendOrder: reduce an open order's quantity, keeping its queue place (amend keep priority)."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.core.ids import parse_id
from api.graphql.core.scalars import Decimal
from api.graphql.orders.types import Order, OrderError, OrderErrorCode
from exchange.orders.amend import AMEND_WAIT_SECONDS, decided_amendment, do_amend_order
from exchange.orders.errors import OrderError as DomainOrderError
from exchange.orders.errors import OrderErrorCode as DomainOrderErrorCode
from exchange.orders.requests import AmendRequest


class AmendOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    Answers once the engine has applied it: the order keeps its id and its place
    among the orders at its price; the reduced part's lock is available again.
    """

    class Arguments:
        order_id = graphene.ID(required=True, description="The open order to reduce")
        symbol = graphene.String(required=True)
        new_qty = Decimal(required=True, description="Below its quantity, above what filled")
        new_client_order_id = graphene.String(
            description="Its client order id afterwards (a new random one if omitted)"
        )

    order = graphene.Field(Order, description="The order after the amend")
    orig_client_order_id = graphene.String(description="Its client order id before")
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        order_id: str,
        symbol: str,
        new_qty: _Decimal,
        new_client_order_id: str | None = None,
    ) -> AmendOrder:
        user = require_user(info, "trade")
        pk = parse_id(order_id)
        if pk is None:
            raise DomainOrderError(DomainOrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
        request = AmendRequest.parse(
            symbol=symbol,
            new_qty=new_qty,
            order_id=pk,
            new_client_order_id=new_client_order_id,
        )
        amendment = decided_amendment(
            do_amend_order(user=user, request=request), timeout=AMEND_WAIT_SECONDS
        )
        return cls(
            order=amendment.order,
            orig_client_order_id=amendment.old_client_order_id,
            errors=[],
        )
