"""Modify a resting futures limit order (Binance's PUT /fapi/v1/order) as ONE engine
command, MODIFY: nobody trades between a cancel and a new order, and the order keeps its
id. The engine keeps the queue place when only the quantity goes down and re-queues it
otherwise; clearing records the new price and quantity (the AMENDED event) and the
engine's answer on the amendment row.

MODIFY names the original quantity the sender knew (the engine derives what has filled
from it), so one amendment of an order is in flight at a time: a second one while the
first is undecided is refused (AMENDMENT_PENDING): the check and the amendment row are
made under the order row's lock, and MODIFY is appended once that row is committed.
"""

from __future__ import annotations

from typing import Any

import redis
from django.db import transaction

from exchange.futures import units
from exchange.futures.engine_state import append, margin_group
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.marks import mark_of
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    FuturesOrder,
    FuturesOrderAmendment,
    FuturesOrderType,
)
from exchange.futures.price_band import check_price_band
from exchange.futures.requests import FuturesModifyRequest
from matching_engine.futures.protocol import encode_modify


def modify_futures_order(
    *, user: Any, order_id: int, request: FuturesModifyRequest
) -> FuturesOrderAmendment:
    """Record the amendment and append MODIFY; clearing decides it (``result``)."""
    with transaction.atomic():
        order = (
            FuturesOrder.objects.select_for_update()
            .select_related("contract__margin_asset")
            .filter(user=user, pk=order_id, contract=request.contract)
            .first()
        )
        if order is None or order.status not in FUTURES_OPEN_STATUSES or not order.accepted:
            raise FuturesError(FuturesErrorCode.UNKNOWN_ORDER, "Order does not exist.")
        if order.type != FuturesOrderType.LIMIT or order.side != request.side:
            raise FuturesError(
                FuturesErrorCode.NOT_MODIFIABLE,
                "Only a resting LIMIT order can be modified, on its own side.",
            )
        assert order.price is not None
        check_price_band(order.contract, request.price, mark_of(order.contract))
        if (order.price, order.quantity) == (request.price, request.quantity):
            raise FuturesError(FuturesErrorCode.NO_CHANGE, "No need to modify the order.")
        if order.amendments.filter(result="").exists():
            raise FuturesError(
                FuturesErrorCode.AMENDMENT_PENDING,
                "The order's previous modification is still being processed.",
            )
        amendment = FuturesOrderAmendment.objects.create(
            order=order,
            old_price=order.price,
            old_quantity=order.quantity,
            price=request.price,
            quantity=request.quantity,
        )
        contract = order.contract
        payload = encode_modify(
            order_id=order.pk,
            user_id=order.user_id,
            price=units.to_ticks(contract, request.price),
            old_qty=units.to_lots(contract, order.quantity),
            new_qty=units.to_lots(contract, request.quantity),
        )
    # After the commit: clearing must find the amendment row when the engine answers.
    try:
        append(margin_group(contract), payload)
    except (redis.RedisError, OSError) as exc:
        amendment.result = FuturesErrorCode.ENGINE_UNAVAILABLE.value
        amendment.save(update_fields=["result"])
        raise FuturesError(FuturesErrorCode.ENGINE_UNAVAILABLE, "Try again shortly.") from exc
    return amendment
