"""Balance events for the user-data streams, sent after the wallet change commits.

Published on the same Redis channel as clearing's (``user-events:{user_id}``,
see ``exchange.clearing.user_events``), shaped as ``exchange.events.user.UserMessage``:
``{"time", "balances": [{"asset", "free", "locked"}], "balance_updates":
[{"asset", "delta", "time"}]}``.
A ``balanceUpdate`` is sent when funds enter or leave the user's holdings
(deposit, approved withdrawal, adjustment); a move between available and
locked (a withdrawal request, rejection or cancellation) sends only the
balance.
"""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import redis
from django.db import transaction

from exchange.core.money import format_money
from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.events.user import UserMessage
from exchange.wallets.models import Asset, Balance

logger = logging.getLogger(__name__)


def _publish(user_id: int, asset: Asset, delta: Decimal | None, when: int) -> None:
    row = Balance.objects.filter(account__user_id=user_id, asset=asset).first()
    free, locked = (row.available, row.locked) if row else (Decimal(0), Decimal(0))
    message: UserMessage = {
        "time": when,
        "balances": [{"asset": asset.code, "free": str(free), "locked": str(locked)}],
        "balance_updates": (
            [{"asset": asset.code, "delta": format_money(delta), "time": when}]
            if delta is not None
            else []
        ),
    }
    try:
        get_redis().publish(user_events_channel(user_id), json.dumps(message))
    except (redis.RedisError, OSError):
        logger.warning("could not publish a balance event for user %d", user_id, exc_info=True)


def publish_on_commit(*, user_id: int, asset: Asset, delta: Decimal | None = None) -> None:
    """Send the user's balance of ``asset`` (and ``delta`` if funds moved in or out) after commit."""
    when = int(time.time() * 1000)
    transaction.on_commit(lambda: _publish(user_id, asset, delta, when))
