"""transferFutures: move collateral between the spot wallet and the futures account."""

from __future__ import annotations

from decimal import Decimal as _Decimal

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation
from api.graphql.core.scalars import Decimal
from api.graphql.futures.types import (
    FuturesTransfer,
    FuturesTransferError,
    FuturesTransferErrorCode,
    TransferDirection,
)
from exchange.futures.requests import TransferRequest
from exchange.futures.services import transfer


class TransferFutures(DomainMutation):
    """Needs `trade`. IN takes the amount from spot available now; OUT is credited to
    spot once the engine has checked the futures account can spare it (`status` DONE,
    or REFUSED with nothing moved). A retried `clientRequestId` is the same transfer."""

    class Arguments:
        asset = graphene.String(required=True)
        amount = Decimal(required=True)
        direction = TransferDirection(required=True)
        client_request_id = graphene.String()

    transfer = graphene.Field(FuturesTransfer)
    errors = graphene.List(graphene.NonNull(FuturesTransferError), required=True)

    error_codes = FuturesTransferErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls,
        info: graphene.ResolveInfo,
        *,
        asset: str,
        amount: _Decimal,
        direction: object,
        client_request_id: str | None = None,
    ) -> TransferFutures:
        user = require_user(info, "trade")
        request = TransferRequest.parse(
            asset=asset,
            amount=amount,
            direction=enum_value(direction),
            client_request_id=client_request_id,
        )
        return cls(transfer=transfer(user=user, request=request), errors=[])
