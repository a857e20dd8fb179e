"""Waiting, with a bound, for clearing to record the engine's answer about an order.

Order entry returns when the order is stored and its PLACE is queued; the
match happens after. APIs that promise the order's state after matching
(Binance's RESULT/FULL answers, LIMIT_MAKER rejections, a cancel that
reports CANCELED) wait here. Clearing publishes on the user's channel after
each commit, so the wait wakes on that message and re-reads the order; when
the bound passes, the caller gets the order's current state instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from exchange.core.redis import get_redis
from exchange.core.user_channel import user_events_channel
from exchange.orders.models import Order

DEFAULT_TIMEOUT = 3.0


def accepted(order: Order) -> bool:
    """The engine's answer to the PLACE (and its immediate matches) is cleared."""
    return order.accepted_at is not None


def closed(order: Order) -> bool:
    return not order.is_open


def wait_for_orders(
    orders: Sequence[Order],
    *,
    until: Callable[[Order], bool],
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Order]:
    """Re-read ``orders`` until ``until`` holds for each or ``timeout`` passes.

    Returns the orders as last read, in the given order. Reads only.
    """
    if not orders:
        return []
    ids = [o.pk for o in orders]
    users = {o.user_id for o in orders}
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*(user_events_channel(user_id) for user_id in users))
    deadline = time.monotonic() + timeout
    try:
        while True:
            current = Order.objects.select_related("market").in_bulk(ids)
            fresh = [current.get(pk, old) for pk, old in zip(ids, orders, strict=True)]
            remaining = deadline - time.monotonic()
            if all(until(o) for o in fresh) or remaining <= 0:
                return fresh
            pubsub.get_message(timeout=min(remaining, 0.25))
    finally:
        pubsub.close()
