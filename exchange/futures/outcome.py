"""Waiting, with a bound, for clearing to record the engine's answer about futures orders.

As for spot (``exchange.orders.outcome``): order entry returns once the order is
stored and its PLACE queued; Binance-shaped answers promise the state after the
engine's decision (a refused order is the HTTP answer), so they wait here. The wait
wakes on the user's futures channel (``futures-user-events:{id}``) when futures
clearing publishes there and re-reads every ``POLL_S`` otherwise; past the bound
the caller gets the current state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from exchange.core.redis import get_redis
from exchange.events.futures import futures_events_channel
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    FuturesOrder,
    FuturesOrderAmendment,
    Position,
)

POLL_S = 0.05


def accepted(order: FuturesOrder) -> bool:
    return order.accepted


def closed(order: FuturesOrder) -> bool:
    return order.accepted and order.status not in FUTURES_OPEN_STATUSES


def wait_for_futures_orders(
    orders: Sequence[FuturesOrder], *, until: Callable[[FuturesOrder], bool], timeout: float
) -> list[FuturesOrder]:
    """Re-read ``orders`` until ``until`` holds for each or ``timeout`` passes. Reads only."""
    if not orders:
        return []
    ids = [o.pk for o in orders]
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(*{futures_events_channel(o.user_id) for o in orders})
    deadline = time.monotonic() + timeout
    try:
        while True:
            current = FuturesOrder.objects.select_related("contract").in_bulk(ids)
            fresh = [current.get(pk, old) for pk, old in zip(ids, orders, strict=True)]
            remaining = deadline - time.monotonic()
            if all(until(o) for o in fresh) or remaining <= 0:
                return fresh
            pubsub.get_message(timeout=min(remaining, POLL_S))
    finally:
        pubsub.close()


def wait_for_leverage(*, user_id: int, contract_id: int, leverage: int, timeout: float) -> bool:
    """Whether the user's leverage in the contract reads ``leverage`` within ``timeout``.

    SET_LEVERAGE has no request id: the engine's refusal is seen as the leverage not
    changing (clearing records only an accepted one). No position row yet means the
    engine's default, ``Position``'s field default.
    """
    default = Position._meta.get_field("leverage").get_default()
    deadline = time.monotonic() + timeout
    while True:
        row = Position.objects.filter(user_id=user_id, contract_id=contract_id).first()
        if (row.leverage if row else default) == leverage:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def wait_for_margin_type(
    *, user_id: int, contract_id: int, margin_type: str, timeout: float
) -> bool:
    """Whether the user's position in the contract reads ``margin_type`` within ``timeout``
    (clearing records only an accepted SET_MARGIN_TYPE, as for leverage)."""
    deadline = time.monotonic() + timeout
    while True:
        if Position.objects.filter(
            user_id=user_id, contract_id=contract_id, margin_type=margin_type
        ).exists():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def wait_for_amendment(amendment: FuturesOrderAmendment, *, timeout: float) -> str:
    """The engine's answer to a modify as clearing recorded it ("OK" or the refusal), or
    "" when it has not within ``timeout``. Clearing publishes on the user's futures channel."""
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(futures_events_channel(amendment.order.user_id))
    deadline = time.monotonic() + timeout
    try:
        while True:
            result = (
                FuturesOrderAmendment.objects.filter(pk=amendment.pk)
                .values_list("result", flat=True)
                .first()
            )
            remaining = deadline - time.monotonic()
            if result or remaining <= 0:
                return result or ""
            pubsub.get_message(timeout=min(remaining, POLL_S))
    finally:
        pubsub.close()
