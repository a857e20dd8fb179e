"""Modify a resting futures limit order (Binance's PUT /fapi/v1/order) as ONE engine
command, MODIFY: nobody trades between a cancel and a new order, and the order keeps its
id. The engine keeps the queue place when only the quantity goes down and re-queues it
otherwise; clearing records the new price and quantity (the AMENDED event) and the
engine's answer on the amendment row.

MODIFY names the original quantity the sender knew (the engine derives what has filled
from it), so one amendment of an order is in flight at a time: a second one while the
first is undecided is refused (AMENDMENT_PENDING): the check and the amendment row are
made under the order row's lock, and MODIFY is appended once that row is committed.

MODIFY is not idempotent, so it is never re-sent. An append that failed may still
have landed (a timeout, a connection lost mid-reply): the amendment stays pending
and the futures sweeper settles it (``settle_lost_amendments``) from the input stream.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis
from django.db import transaction
from django.utils import timezone

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
from exchange.matching.landed import settle_unlanded
from matching_engine.futures.protocol import encode_modify
from matching_engine.protocol import input_stream

logger = logging.getLogger(__name__)

SETTLE_AFTER = timedelta(seconds=30)


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
        payload = modify_command(amendment)
    # After the commit: clearing must find the amendment row when the engine answers.
    try:
        append(margin_group(contract), payload)
    except (redis.RedisError, OSError) as exc:
        # A timeout (or a connection lost mid-reply) may follow a landed MODIFY, which
        # re-sending would apply twice: the row stays pending, the sweeper settles it.
        logger.warning("MODIFY of order %s: append failed; left pending", order.pk, exc_info=True)
        raise FuturesError(
            FuturesErrorCode.STATUS_UNKNOWN,
            "Timeout waiting for the engine; the modification's status is unknown.",
        ) from exc
    return amendment


def modify_command(amendment: FuturesOrderAmendment) -> bytes:
    """The MODIFY of an amendment: the same bytes its request appended."""
    order = amendment.order
    contract = order.contract
    return encode_modify(
        order_id=order.pk,
        user_id=order.user_id,
        price=units.to_ticks(contract, amendment.price),
        old_qty=units.to_lots(contract, amendment.old_quantity),
        new_qty=units.to_lots(contract, amendment.quantity),
    )


def settle_lost_amendments(*, older_than: timedelta = SETTLE_AFTER) -> int:
    """Mark ENGINE_UNAVAILABLE the pending amendments whose MODIFY is not in the margin
    group's input stream ``older_than`` after they were made: it never landed, and the
    order may be modified again. One that landed is left to clearing."""
    cutoff = timezone.now() - older_than
    pending = FuturesOrderAmendment.objects.filter(result="", created_at__lt=cutoff)
    return settle_unlanded(
        pending.select_related("order__contract__margin_asset").order_by("pk")[:1000],
        sent=lambda a: (input_stream(margin_group(a.order.contract)), modify_command(a)),
    )
