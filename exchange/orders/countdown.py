"""Dead-man's switch: a per-user, per-market countdown that cancels all open orders.

A bot sets the countdown (``do_set_cancel_countdown``) and renews it like a
heartbeat; when it stops (crashed, lost its connection), the deadline passes
and ``do_fire_expired_countdowns`` (Celery beat, every second) cancels every
open order of the user in that market. The mechanism (a deadline row that fires
once) is ``exchange.core.countdown``, shared with futures; firing here records the
cancel requests in the row's transaction, and the CANCEL_ALL sent after the commit
is re-sent order by order by the sweeper if it is lost.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from exchange.accounts.models import User
from exchange.core.countdown import MAX_COUNTDOWN_MS, fire_due, set_countdown, valid_countdown
from exchange.markets.selectors import get_market
from exchange.orders import engine_commands as engine_gateway
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import CancelCountdown, Order
from exchange.orders.selectors import order_list_open

logger = logging.getLogger(__name__)


def do_set_cancel_countdown(
    *, user: User, symbol: str, countdown_ms: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Start or renew the countdown (``countdown_ms`` from now), or stop it with 0.

    Returns the new deadline (None when stopped).
    """
    market = get_market(symbol)
    if not valid_countdown(countdown_ms):
        raise OrderError(
            OrderErrorCode.INVALID_COUNTDOWN,
            f"countdown_ms must be 0 (stop) or 1 to {MAX_COUNTDOWN_MS} ms.",
            fields={"countdown_ms": "invalid"},
        )
    return set_countdown(
        CancelCountdown, countdown_ms=countdown_ms, now=now, user=user, market=market
    )


def _cancel_all(countdown: CancelCountdown, now: dt.datetime) -> bool:
    """Record the cancel requests; the CANCEL_ALL goes after the commit (the sweeper
    re-sends a lost one order by order)."""
    orders = list(order_list_open(user=countdown.user, market=countdown.market))
    if orders:
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(cancel_requested_at=now)
        user_id, market = countdown.user_id, countdown.market
        transaction.on_commit(
            lambda: engine_gateway.send_cancel_all(user_id=user_id, market=market, orders=orders)
        )
    logger.info(
        "countdown of user %s in %s fired: %d open orders canceled",
        countdown.user_id,
        countdown.market.symbol,
        len(orders),
    )
    return True


def do_fire_expired_countdowns(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Cancel all open orders of every countdown past its deadline; returns how many fired."""
    return fire_due(
        CancelCountdown, fire=_cancel_all, now=now, limit=limit, related=("user", "market")
    )
