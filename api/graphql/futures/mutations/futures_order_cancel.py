"""cancelFuturesOrder: ask the futures engine to cancel one open order."""

from __future__ import annotations

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.core.ids import parse_id
from api.graphql.futures.types import FuturesError, FuturesErrorCode, FuturesOrder
from exchange.futures.errors import FuturesError as DomainFuturesError
from exchange.futures.errors import FuturesErrorCode as DomainFuturesErrorCode
from exchange.futures.services import cancel_futures_order


class CancelFuturesOrder(DomainMutation):
    """Needs the `trade` permission when called with an API key. The order is returned
    as it was when the cancel was sent; it turns CANCELED once the engine answered."""

    class Arguments:
        order_id = graphene.ID(required=True)

    order = graphene.Field(FuturesOrder)
    errors = graphene.List(graphene.NonNull(FuturesError), required=True)

    error_codes = FuturesErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, order_id: str
    ) -> CancelFuturesOrder:
        user = require_user(info, "trade")
        pk = parse_id(order_id)
        if pk is None:
            raise DomainFuturesError(DomainFuturesErrorCode.UNKNOWN_ORDER, "Unknown order.")
        return cls(order=cancel_futures_order(user=user, order_id=pk), errors=[])
