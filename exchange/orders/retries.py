"""Retries that never double an order: a repeat of a placed order answers with that order.

The database refuses a second order with a held client order id
(``client_ids``); here the refusal is turned back into the first order when the
repeat asks for the same thing, so a bot that retries after a lost answer gets
the order it placed, not a second one. A repeat that asks for something else
stays ``DUPLICATE_CLIENT_ORDER_ID``. The Binance dialect does not use this:
Binance answers every duplicate with -2010 "Duplicate order sent.".
"""

from __future__ import annotations

from exchange.accounts.models import User
from exchange.orders.actions import place_order
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import Order
from exchange.orders.requests import OrderRequest


def same_order(order: Order, request: OrderRequest) -> bool:
    """Whether ``order`` is what ``request`` asks for (client order id aside)."""
    return (
        order.market_id == request.market.pk
        and order.side == request.side
        and order.type == request.type
        and order.time_in_force == request.time_in_force
        and order.price == request.price
        and order.stop_price == request.stop_price
        and order.trailing_delta == request.trailing_delta
        and order.orig_qty == request.quantity
        and order.quote_order_qty == request.quote_order_qty
        and order.self_trade_prevention == request.self_trade_prevention
    )


def held_order(*, user: User, client_order_id: str) -> Order | None:
    """The user's order that holds ``client_order_id`` now (at most one: the constraint)."""
    return (
        Order.objects.select_related("market", "locked_asset")
        .filter(user=user, client_order_id=client_order_id, client_id_released=False)
        .first()
    )


def place_order_once(*, user: User, request: OrderRequest) -> tuple[Order, bool]:
    """``place_order``, or the order an earlier call with this client order id and the
    same parameters placed. Returns the order and whether this call created it."""
    try:
        return place_order(user=user, request=request), True
    except OrderError as exc:
        if exc.code != OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID:
            raise
        original = held_order(user=user, client_order_id=request.client_order_id)
        if original is None or not same_order(original, request):
            raise
        return original, False
