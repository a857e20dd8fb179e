"""Futures batch orders (Binance's ``/fapi/v1/batchOrders``, up to ``MAX_BATCH``): each
order is placed or refused on its own, in its own answer slot.

The accepted orders are inserted in ONE transaction, each under a savepoint (a refused
one leaves the others alone), and their PLACEs go to each margin group in ONE pipelined
append after the commit. A lost append is re-sent by the futures sweeper, as for one order.
Batch cancel appends the CANCELs of the orders it found the same way.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.db import IntegrityError, transaction

from exchange.core.errors import DomainError
from exchange.futures.engine_commands import place_command
from exchange.futures.engine_state import margin_group
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import FUTURES_OPEN_STATUSES, Contract, FuturesOrder
from exchange.futures.requests import FuturesOrderRequest
from exchange.futures.services import append_all, check_futures_order, insert_futures_order
from matching_engine.futures.protocol import encode_cancel

MAX_BATCH = 5


@dataclass(frozen=True, slots=True)
class FuturesBatchSlot:
    """One order's answer: the order placed (or found), or why it was refused."""

    order: FuturesOrder | None
    error: DomainError | None


def check_futures_batch_size(count: int, *, maximum: int = MAX_BATCH) -> None:
    if not 1 <= count <= maximum:
        raise FuturesError(
            FuturesErrorCode.INVALID_BATCH,
            f"A batch holds 1 to {maximum} orders, not {count}.",
            fields={"orders": "invalid"},
        )


def _send_all(commands: dict[str, list[bytes]]) -> None:
    # The rows are committed: the sweeper re-sends the PLACEs of a lost append.
    for group, payloads in commands.items():
        with contextlib.suppress(redis.RedisError, OSError):
            append_all(group, payloads)


def _place_one(user: Any, request: FuturesOrderRequest) -> tuple[FuturesOrder, bool]:
    existing = check_futures_order(user=user, request=request)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return insert_futures_order(user=user, request=request), True
    except IntegrityError:  # the same client order id earlier in this batch
        return FuturesOrder.objects.get(user=user, client_order_id=request.client_order_id), False


def place_futures_batch(
    *, user: Any, requests: Sequence[FuturesOrderRequest | DomainError]
) -> list[FuturesBatchSlot]:
    """Place each request that parsed (a DomainError stands for one that did not).

    Call ``check_futures_batch_size`` first. Returns one slot per request, in order.
    """
    slots: list[FuturesBatchSlot] = []
    commands: dict[str, list[bytes]] = defaultdict(list)
    with transaction.atomic():
        for request in requests:
            if isinstance(request, DomainError):
                slots.append(FuturesBatchSlot(None, request))
                continue
            try:
                order, new = _place_one(user, request)
            except DomainError as exc:
                slots.append(FuturesBatchSlot(None, exc))
                continue
            if new:
                commands[margin_group(request.contract)].append(place_command(order))
            slots.append(FuturesBatchSlot(order, None))
        if commands:
            transaction.on_commit(lambda: _send_all(dict(commands)))
    return slots


def cancel_futures_batch(
    *, user: Any, contract: Contract, order_ids: Sequence[int | str]
) -> list[FuturesBatchSlot]:
    """Cancel the user's open orders in ``contract`` named by id (int) or client id (str);
    an unknown or closed one is UNKNOWN_ORDER in its slot. One append for the rest."""
    rows = FuturesOrder.objects.filter(user=user, contract=contract).select_related("contract")
    by_id = rows.in_bulk([i for i in order_ids if isinstance(i, int)])
    by_client = {
        o.client_order_id: o
        for o in rows.filter(client_order_id__in=[i for i in order_ids if isinstance(i, str)])
    }
    slots: list[FuturesBatchSlot] = []
    payloads: list[bytes] = []
    for key in order_ids:
        order = by_id.get(key) if isinstance(key, int) else by_client.get(key)
        if order is None or order.status not in FUTURES_OPEN_STATUSES:
            slots.append(
                FuturesBatchSlot(
                    None, FuturesError(FuturesErrorCode.UNKNOWN_ORDER, "Unknown order sent.")
                )
            )
            continue
        payloads.append(encode_cancel(order_id=order.pk, user_id=order.user_id))
        slots.append(FuturesBatchSlot(order, None))
    try:
        append_all(margin_group(contract), payloads)
    except (redis.RedisError, OSError) as exc:
        raise FuturesError(FuturesErrorCode.ENGINE_UNAVAILABLE, "Try again shortly.") from exc
    return slots
