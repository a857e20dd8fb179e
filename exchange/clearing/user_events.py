"""After a clearing commit: tell each user what changed (orders, balances).

Each clearing batch sends each touched user ONE JSON message on the Redis
pub/sub channel ``user-events:{user_id}``: ``{"orders": [...], "balances":
[...]}`` with the orders' and balances' state after the batch. It is the hook
the WebSocket user-data streams subscribe to. Pub/sub is fire-and-forget:
a client that was not listening reads the current state over REST.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable

import redis
from redis.cluster import RedisCluster

from exchange.core.redis import get_redis
from exchange.orders.models import Order
from exchange.wallets.models import Balance

logger = logging.getLogger(__name__)


def channel(user_id: int) -> str:
    return f"user-events:{user_id}"


def order_event(order: Order, symbol: str) -> dict[str, object]:
    return {
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
    """Publish one message per touched user with their changed orders and balances."""
    messages: dict[int, dict[str, list[dict[str, object]]]] = defaultdict(
        lambda: {"orders": [], "balances": []}
    )
    for order in orders:
        messages[order.user_id]["orders"].append(order_event(order, symbol))
    if balances:
        users = {user_id for user_id, _ in balances}
        rows = Balance.objects.filter(account__user_id__in=users).values_list(
            "account__user_id", "asset_id", "asset__code", "available", "locked"
        )
        for user_id, asset_id, code, available, locked in rows:
            if (user_id, asset_id) in balances:
                messages[user_id]["balances"].append(
                    {"asset": code, "free": str(available), "locked": str(locked)}
                )
    if not messages:
        return
    try:
        client = get_redis()
        if isinstance(client, RedisCluster):
            # A cluster pipeline refuses PUBLISH (it names no key); one call per user.
            for user_id, message in messages.items():
                client.publish(channel(user_id), json.dumps(message))
            return
        pipe = client.pipeline(transaction=False)
        for user_id, message in messages.items():
            pipe.publish(channel(user_id), json.dumps(message))
        pipe.execute()
    except (redis.RedisError, OSError):
        logger.warning("could not publish events for %d users", len(messages), exc_info=True)
