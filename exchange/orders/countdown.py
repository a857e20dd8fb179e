"""Dead-man's switch: a per-user, per-market countdown that cancels all open orders.

A bot sets the countdown (``do_set_cancel_countdown``) and renews it like a
heartbeat; when it stops (crashed, lost its connection), the deadline passes
and ``do_fire_expired_countdowns`` (Celery beat, every second) cancels every
open order of the user in that market. The deadline is a database row, so it
survives a restart of any process; firing deletes the row and records the
cancel requests in one transaction, so it fires once, and the CANCEL_ALL sent
after the commit is re-sent order by order by the sweeper if it is lost.
Binance's futures ``countdownCancelAll`` has the same contract (``countdownTime``
in ms, 0 stops it).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from exchange.accounts.models import User
from exchange.markets.models import Market
from exchange.markets.selectors import get_market
from exchange.orders import engine_commands as engine_gateway
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import CancelCountdown, Order
from exchange.orders.selectors import order_list_open

logger = logging.getLogger(__name__)

MAX_COUNTDOWN_MS = 24 * 3600 * 1000


def do_set_cancel_countdown(
    *, user: User, symbol: str, countdown_ms: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Start or renew the countdown (``countdown_ms`` from now), or stop it with 0.

    Returns the new deadline (None when stopped).
    """
    market = get_market(symbol)
    if type(countdown_ms) is not int or not 0 <= countdown_ms <= MAX_COUNTDOWN_MS:
        raise OrderError(
            OrderErrorCode.INVALID_COUNTDOWN,
            f"countdownTime must be 0 (stop) or 1 to {MAX_COUNTDOWN_MS} ms.",
            fields={"countdownTime": "invalid"},
        )
    if countdown_ms == 0:
        CancelCountdown.objects.filter(user=user, market=market).delete()
        return None
    deadline = (now or timezone.now()) + dt.timedelta(milliseconds=countdown_ms)
    CancelCountdown.objects.update_or_create(
        user=user, market=market, defaults={"deadline": deadline}
    )
    return deadline


def do_fire_expired_countdowns(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Cancel all open orders of every countdown past its deadline; returns how many fired.

    Rows are taken ``FOR UPDATE SKIP LOCKED``: two workers never fire the same one.
    """
    now = now or timezone.now()
    fired = 0
    with transaction.atomic():
        due = list(
            CancelCountdown.objects.select_for_update(skip_locked=True)
            .select_related("user", "market")
            .filter(deadline__lte=now)
            .order_by("deadline")[:limit]
        )
        for countdown in due:
            orders = list(order_list_open(user=countdown.user, market=countdown.market))
            if orders:
                Order.objects.filter(pk__in=[o.pk for o in orders]).update(cancel_requested_at=now)
                user_id, market = countdown.user_id, countdown.market

                def send(
                    user_id: int = user_id, market: Market = market, orders: list[Order] = orders
                ) -> None:
                    engine_gateway.send_cancel_all(user_id=user_id, market=market, orders=orders)

                transaction.on_commit(send)
            logger.info(
                "countdown of user %s in %s fired: %d open orders canceled",
                countdown.user_id,
                countdown.market.symbol,
                len(orders),
            )
            fired += 1
        CancelCountdown.objects.filter(pk__in=[c.pk for c in due]).delete()
    return fired
