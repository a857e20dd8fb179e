"""After a clearing commit: tell each user what changed (orders, balances).

Messages are JSON on the Redis pub/sub channel ``user-events:{user_id}``, the
hook the WebSocket user-data streams subscribe to. Pub/sub is fire-and-forget:
a client that was not listening reads the current state over REST.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import redis

from exchange.core.redis import get_redis
from exchange.orders.models import Order
from exchange.wallets.models import Balance

logger = logging.getLogger(__name__)


def channel(user_id: int) -> str:
    return f"user-events:{user_id}"


def order_event(order: Order, symbol: str) -> dict[str, object]:
    return {
        "type": "order",
        "symbol": symbol,
        "orderId": order.pk,
        "clientOrderId": order.client_order_id,
        "side": order.side,
        "orderType": order.type,
        "status": order.status,
        "price": str(order.price) if order.price is not None else None,
        "origQty": str(order.orig_qty) if order.orig_qty is not None else None,
        "executedQty": str(order.executed_qty),
        "cummulativeQuoteQty": str(order.cumulative_quote_qty),
        "updateTime": int(order.updated_at.timestamp() * 1000) if order.updated_at else None,
    }


def publish(*, symbol: str, orders: Iterable[Order], balances: set[tuple[int, int]]) -> None:
    """Publish one message per changed order and per touched balance."""
    messages: list[tuple[int, dict[str, object]]] = [
        (o.user_id, order_event(o, symbol)) for o in orders
    ]
    if balances:
        users = {user_id for user_id, _ in balances}
        rows = Balance.objects.filter(account__user_id__in=users).select_related("asset", "account")
        for row in rows:
            key = (row.account.user_id, row.asset_id)
            if key in balances:
                messages.append(
                    (
                        key[0],
                        {
                            "type": "balance",
                            "asset": row.asset.code,
                            "free": str(row.available),
                            "locked": str(row.locked),
                        },
                    )
                )
    if not messages:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for user_id, message in messages:
            pipe.publish(channel(user_id), json.dumps(message))
        pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("could not publish %d user events", len(messages), exc_info=True)
