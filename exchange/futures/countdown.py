"""The futures dead-man's switch (Binance's ``POST /fapi/v1/countdownCancelAll``): a
per-user, per-contract countdown that cancels every open order when not renewed in time.

The mechanism is spot's (``exchange.core.countdown``). Futures cancels are engine
commands only (no request recorded on the order), so they are appended inside the
row's transaction: a failed append keeps the row, and the next run fires it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import redis

from exchange.core.countdown import MAX_COUNTDOWN_MS, fire_due, set_countdown, valid_countdown
from exchange.futures.engine_state import margin_group
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.history import futures_open_orders
from exchange.futures.models import FuturesCancelCountdown
from exchange.futures.selectors import get_contract
from exchange.futures.services import append_all
from matching_engine.futures.protocol import encode_cancel

logger = logging.getLogger(__name__)


def do_set_futures_cancel_countdown(
    *, user: Any, symbol: str, countdown_ms: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Start or renew the countdown (``countdown_ms`` from now), or stop it with 0."""
    contract = get_contract(symbol)
    if not valid_countdown(countdown_ms):
        raise FuturesError(
            FuturesErrorCode.INVALID_COUNTDOWN,
            f"countdown_ms must be 0 (stop) or 1 to {MAX_COUNTDOWN_MS} ms.",
            fields={"countdown_ms": "invalid"},
        )
    return set_countdown(
        FuturesCancelCountdown, countdown_ms=countdown_ms, now=now, user=user, contract=contract
    )


def _cancel_all(countdown: FuturesCancelCountdown, now: dt.datetime) -> bool:
    orders = list(futures_open_orders(user=countdown.user_id, contract=countdown.contract))
    payloads = [encode_cancel(order_id=o.pk, user_id=o.user_id) for o in orders]
    try:
        append_all(margin_group(countdown.contract), payloads)
    except (redis.RedisError, OSError):
        logger.warning("countdown of user %s not fired yet", countdown.user_id, exc_info=True)
        return False
    logger.info(
        "futures countdown of user %s in %s fired: %d open orders canceled",
        countdown.user_id,
        countdown.contract.symbol,
        len(orders),
    )
    return True


def do_fire_expired_futures_countdowns(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Cancel all open orders of every futures countdown past its deadline."""
    return fire_due(
        FuturesCancelCountdown,
        fire=_cancel_all,
        now=now,
        limit=limit,
        related=("contract__margin_asset",),
    )
