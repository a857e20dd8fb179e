"""setLeverage and setMarginType: a position's settings, decided by the futures engine."""

from __future__ import annotations

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.enums import enum_value
from api.graphql.core.errors import DomainMutation
from api.graphql.futures.types import FuturesError, FuturesErrorCode, MarginType
from exchange.futures.requests import LeverageRequest, MarginTypeRequest
from exchange.futures.services import set_leverage, set_margin_type


class SetLeverage(DomainMutation):
    """Needs `trade`. Sent to the engine, which refuses a leverage whose margin would not
    fit or above the position's bracket: `futuresPositions` shows the leverage it took."""

    class Arguments:
        symbol = graphene.String(required=True)
        leverage = graphene.Int(required=True)

    leverage = graphene.Int()
    errors = graphene.List(graphene.NonNull(FuturesError), required=True)

    error_codes = FuturesErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, symbol: str, leverage: int
    ) -> SetLeverage:
        user = require_user(info, "trade")
        change = LeverageRequest.parse(symbol=symbol, leverage=leverage)
        set_leverage(user=user, request=change)
        return cls(leverage=change.leverage, errors=[])


class SetMarginType(DomainMutation):
    """Needs `trade`. The engine refuses a change with a position or open orders."""

    class Arguments:
        symbol = graphene.String(required=True)
        margin_type = MarginType(required=True)

    margin_type = graphene.Field(MarginType)
    errors = graphene.List(graphene.NonNull(FuturesError), required=True)

    error_codes = FuturesErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, symbol: str, margin_type: object
    ) -> SetMarginType:
        user = require_user(info, "trade")
        change = MarginTypeRequest.parse(symbol=symbol, margin_type=enum_value(margin_type))
        set_margin_type(user=user, request=change)
        return cls(margin_type=change.margin_type.value, errors=[])
