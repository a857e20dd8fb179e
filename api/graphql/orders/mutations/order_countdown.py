"""setCancelCountdown: the dead-man's switch (cancel all open orders of a market when not renewed)."""

from __future__ import annotations

import datetime as dt

import graphene

from api.graphql.core.auth import require_user
from api.graphql.core.errors import DomainMutation
from api.graphql.orders.types import OrderError, OrderErrorCode
from exchange.orders.countdown import do_set_cancel_countdown


class SetCancelCountdown(DomainMutation):
    """Needs the `trade` permission when called with an API key.

    Call it again before the deadline to renew (a heartbeat); `countdownMs: 0` stops it.
    When the deadline passes, every open order of the caller in the market is canceled,
    once; the deadline is stored, so restarts do not lose it.
    """

    class Arguments:
        symbol = graphene.String(required=True)
        countdown_ms = graphene.Int(required=True, description="1 to 86400000, or 0 to stop")

    deadline = graphene.DateTime(description="When the orders are canceled; null when stopped")
    errors = graphene.List(graphene.NonNull(OrderError), required=True)

    error_codes = OrderErrorCode

    @classmethod
    def perform_mutation(  # type: ignore[override]
        cls, info: graphene.ResolveInfo, *, symbol: str, countdown_ms: int
    ) -> SetCancelCountdown:
        user = require_user(info, "trade")
        deadline: dt.datetime | None = do_set_cancel_countdown(
            user=user, symbol=symbol, countdown_ms=countdown_ms
        )
        return cls(deadline=deadline, errors=[])
