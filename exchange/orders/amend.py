"""Amend keep priority: reduce an open order's quantity in place, as ONE engine command.

The order keeps its id and its place in its price level's queue (Binance's
``PUT /api/v3/order/amend/keepPriority``). The engine's AMEND names the original
quantity the sender knew, and derives what filled from it; so one amendment of an
order is in flight at a time: a second one while the first is undecided is refused
(AMENDMENT_PENDING). The check and the amendment row are made under the order row's
lock, and AMEND is appended once that row is committed: clearing must find the row
when the engine answers. Clearing then releases the reduced part's lock (ledger),
writes the new quantity and client order id, and records the engine's answer.

AMEND is not idempotent, so it is never re-sent. An append that failed may still have
landed (a timeout, a connection lost mid-reply): the row stays pending and the
sweeper settles it (``do_settle_lost_amendments``), by reading the input stream.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from django.db import transaction
from django.utils import timezone

from exchange.accounts.models import User
from exchange.markets.filters import qty_to_lots
from exchange.markets.models import Market
from exchange.matching.gateway import engine_client
from exchange.matching.landed import settle_unlanded
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import LIMIT_PRICED_TYPES, Order, OrderAmendment, OrderStatus
from exchange.orders.outcome import wait_for_orders
from exchange.orders.requests import AmendRequest
from exchange.orders.selectors import access_order
from matching_client import AmendOrder
from matching_engine.protocol import input_stream

logger = logging.getLogger(__name__)

# Results the sweeper writes: the AMEND never reached the engine.
ENGINE_UNAVAILABLE = OrderErrorCode.ENGINE_UNAVAILABLE.value
SETTLE_AFTER = dt.timedelta(seconds=30)
AMEND_WAIT_SECONDS = 5.0  # how long a surface waits for clearing's answer


def amend_command(amendment: OrderAmendment) -> AmendOrder:
    """The AMEND of an amendment, in the engine's units: the same bytes every time."""
    order = amendment.order
    market = order.market
    return AmendOrder(
        market.symbol,
        order_id=order.pk,
        user_id=order.user_id,
        old_qty=qty_to_lots(market, amendment.old_qty),
        new_qty=qty_to_lots(market, amendment.new_qty),
    )


def _check(order: Order, request: AmendRequest) -> None:
    """Refuse what the engine would refuse, before anything is written."""
    if not order.is_open:
        raise OrderError(OrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
    if order.order_list_id is not None:
        # Its list's hold may sit on the other leg's row: the removed lots have no lock.
        raise OrderError(OrderErrorCode.ORDER_IN_LIST, "An order list's leg cannot be amended.")
    if order.type not in LIMIT_PRICED_TYPES or order.status == OrderStatus.PENDING_TRIGGER:
        raise OrderError(
            OrderErrorCode.NOT_AMENDABLE,
            "Only an order resting in the book can be amended.",
        )
    assert order.orig_qty is not None
    if request.new_qty >= order.orig_qty:
        raise OrderError(
            OrderErrorCode.AMEND_NOT_REDUCING,
            "new_qty must be less than the order's quantity.",
            fields={"new_qty": "invalid"},
        )
    if request.new_qty <= order.executed_qty:
        raise OrderError(
            OrderErrorCode.AMEND_BELOW_FILLED,
            "new_qty must be greater than the order's executed quantity.",
            fields={"new_qty": "invalid"},
        )


def do_amend_order(*, user: User, request: AmendRequest) -> OrderAmendment:
    """Record the amendment under the order's lock and append AMEND after the commit.

    Raises the OrderError of a refusal (nothing written), AMENDMENT_PENDING while an
    earlier amendment of the order is undecided, ENGINE_UNAVAILABLE when the append
    failed (the amendment stays pending: it may have landed; the sweeper decides).
    """
    found = access_order(
        user=user,
        market=request.market,
        order_id=request.order_id,
        client_order_id=request.client_order_id,
    )
    _check(found, request)  # a closed order may be in the history only (ADR 0050)
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("market").get(pk=found.pk)
        _check(order, request)
        if order.amendments.filter(result="").exists():
            raise OrderError(
                OrderErrorCode.AMENDMENT_PENDING,
                "The order's previous amendment is still being processed.",
            )
        new_id = request.new_client_order_id
        if new_id != order.client_order_id and (
            Order.objects.filter(
                user=user, client_order_id=new_id, client_id_released=False
            ).exists()
        ):
            raise OrderError(
                OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID,
                "An order with this client order id exists.",
            )
        assert order.orig_qty is not None
        amendment = OrderAmendment.objects.create(
            order=order,
            old_qty=order.orig_qty,
            new_qty=request.new_qty,
            old_client_order_id=order.client_order_id,
            new_client_order_id=request.new_client_order_id,
        )
    try:
        engine_client().send(amend_command(amendment))
    except (redis.RedisError, OSError) as exc:
        logger.warning("AMEND of order %s: append failed; left pending", order.pk, exc_info=True)
        raise OrderError(
            OrderErrorCode.ENGINE_UNAVAILABLE,
            "Timeout waiting for the engine; the amendment's status is unknown.",
        ) from exc
    return amendment


def do_settle_lost_amendments(*, older_than: dt.timedelta = SETTLE_AFTER) -> int:
    """Mark ENGINE_UNAVAILABLE the pending amendments whose AMEND is not in the input
    stream ``older_than`` after they were made: it never landed, and the order may be
    amended again. One that landed is left to clearing."""
    cutoff = timezone.now() - older_than
    pending = OrderAmendment.objects.filter(result="", created_at__lt=cutoff)
    return settle_unlanded(
        pending.select_related("order__market").order_by("pk")[:1000], sent=_sent_amend
    )


def _sent_amend(amendment: OrderAmendment) -> tuple[str, bytes]:
    command = amend_command(amendment)
    return input_stream(command.symbol), command.encode()


# The engine's refusals of an AMEND, as order entry's codes (what every surface maps).
_REFUSALS = {
    "UNKNOWN_ORDER": OrderErrorCode.ORDER_NOT_FOUND,
    "USER_MISMATCH": OrderErrorCode.ORDER_NOT_FOUND,
    "AMEND_NOT_REDUCING": OrderErrorCode.AMEND_NOT_REDUCING,
    "AMEND_BELOW_FILLED": OrderErrorCode.AMEND_BELOW_FILLED,
    "AMEND_NOT_RESTING": OrderErrorCode.NOT_AMENDABLE,
}


def decided_amendment(amendment: OrderAmendment, *, timeout: float) -> OrderAmendment:
    """Wait until clearing has the engine's answer; return the amendment with its order
    as it is then. Raises the refusal's OrderError, or ENGINE_UNAVAILABLE when no answer
    came in time (the amendment may still be applied: its status is unknown)."""

    def decided(_: Order) -> bool:
        return OrderAmendment.objects.filter(pk=amendment.pk).exclude(result="").exists()

    wait_for_orders([amendment.order], until=decided, timeout=timeout)
    # Read after the answer: the order was read before it in the last round of the wait.
    amendment.refresh_from_db(fields=["result", "decided_at"])
    amendment.order = Order.objects.select_related("market").get(pk=amendment.order_id)
    if amendment.result == "OK":
        return amendment
    if not amendment.result or amendment.result == ENGINE_UNAVAILABLE:
        raise OrderError(
            OrderErrorCode.ENGINE_UNAVAILABLE,
            "Timeout waiting for the engine; the amendment's status is unknown.",
        )
    code = _REFUSALS.get(amendment.result, OrderErrorCode.NOT_AMENDABLE)
    raise OrderError(code, f"The engine refused the amendment: {amendment.result}.")


def order_amendments(
    *, user: User, market: Market, order_id: int, from_id: int | None, limit: int
) -> list[OrderAmendment]:
    """The applied amendments of the user's order, oldest first, from ``from_id`` on
    (ORDER_NOT_FOUND for another user's order or none); each carries its order."""
    order = access_order(user=user, market=market, order_id=order_id)
    amendments = order.amendments.filter(result="OK").order_by("pk")
    if from_id is not None:
        amendments = amendments.filter(pk__gte=from_id)
    found = list(amendments[:limit])
    for amendment in found:
        amendment.order = order
    return found
