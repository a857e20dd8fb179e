"""Order commands for the matching engine, in the engine's integer units.

Appends happen after the database commit. A failed append is logged, not
raised: the order is already durable, and the sweeper re-sends every order
the engine has not answered (the engine ignores duplicates).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from exchange.markets.filters import price_to_ticks, qty_to_lots, quote_to_units
from exchange.markets.models import Market
from exchange.matching.gateway import send_commands
from exchange.orders.models import LIMIT_PRICED_TYPES, Order, Side
from exchange.risk.products import Product, risk_for
from matching_client import (
    CancelAll,
    CancelOrder,
    Command,
    PlaceList,
    PlaceOrder,
    ReplaceMode,
    ReplaceOrder,
)
from matching_client import OrderType as EngineOrderType
from matching_client import SelfTradePrevention as EngineStp
from matching_client import Side as EngineSide
from matching_client import TimeInForce as EngineTif

logger = logging.getLogger(__name__)


def place_command(order: Order) -> PlaceOrder:
    """The PLACE for an order, every amount converted exactly (the hold by the risk stage)."""
    market = order.market
    buy = order.side == Side.BUY
    return PlaceOrder(
        market.symbol,
        order_id=order.pk,
        user_id=order.user_id,
        side=EngineSide.BUY if buy else EngineSide.SELL,
        order_type=EngineOrderType[order.type],
        time_in_force=EngineTif[order.time_in_force]
        if order.type in LIMIT_PRICED_TYPES and order.time_in_force
        else EngineTif.GTC,
        price=price_to_ticks(market, order.price) if order.price is not None else 0,
        quantity=qty_to_lots(market, order.orig_qty) if order.orig_qty is not None else 0,
        quote_amount=quote_to_units(market, order.quote_order_qty)
        if order.quote_order_qty is not None
        else 0,
        stop_price=price_to_ticks(market, order.stop_price) if order.stop_price is not None else 0,
        trailing_delta=order.trailing_delta or 0,
        lock=risk_for(Product.SPOT).engine_lock(
            market=market, side=order.side, amount=order.locked
        ),
        stp=EngineStp[order.self_trade_prevention],
    )


def entry_command(order: Order) -> PlaceOrder | ReplaceOrder:
    """What enters an order: its PLACE, or the REPLACE that cancels the order it replaces."""
    place = place_command(order)
    if order.replaces_id is None:
        return place
    carry = risk_for(Product.SPOT).engine_lock(
        market=order.market, side=order.side, amount=order.lock_from_replaced
    )
    return ReplaceOrder(place, order.replaces_id, ReplaceMode[order.replace_mode], carry)


def list_command(legs: list[Order]) -> PlaceList:
    """The PLACE_LIST of an OCO's legs (in id order): one lock, the list's hold, which
    entry put on one leg's row (``locked``; the other's is zero)."""
    first, second = (place_command(leg) for leg in legs)
    lock = max(place.lock for place in (first, second))
    return PlaceList((replace(first, lock=lock), replace(second, lock=lock)))


def _entry_commands(orders: list[Order]) -> list[Command]:
    """Each order's entry command; an OCO's legs once, as one PLACE_LIST."""
    lists = {o.order_list_id for o in orders if o.order_list_id is not None}
    legs: dict[int, list[Order]] = {}
    if lists:
        for leg in Order.objects.filter(order_list_id__in=lists).select_related("market"):
            legs.setdefault(leg.order_list_id, []).append(leg)  # type: ignore[arg-type]
    commands: list[Command] = []
    for order in orders:
        try:
            if order.order_list_id is None:
                commands.append(entry_command(order))
            elif order.order_list_id in legs:
                pair = sorted(legs.pop(order.order_list_id), key=lambda leg: leg.pk)
                commands.append(list_command(pair))
        except (ValueError, KeyError):
            logger.exception("order %s cannot be expressed in engine units; not sent", order.pk)
    return commands


def send_places(orders: list[Order]) -> bool:
    """PLACE (REPLACE, PLACE_LIST) many orders in one round trip; an order that cannot
    be converted is logged, not sent."""
    commands = _entry_commands(orders)
    return send_commands(commands, f"PLACE of {len(commands)} orders") if commands else True


def _unanswered_places(orders: list[Order]) -> list[Command]:
    """PLACEs to send again before a cancel: the engine may never have heard of these orders.

    A cancel that overtook its order's lost PLACE would find nothing to cancel, and
    the sweeper's later PLACE would then bring the order to life. Sent first, a PLACE
    the engine already knows is answered DUPLICATE and changes nothing.
    """
    return _entry_commands([o for o in orders if o.accepted_at is None])


def send_replace(order: Order, replaced: Order) -> bool:
    """REPLACE ``replaced`` by ``order``; ``replaced``'s PLACE first if it is unanswered."""
    commands = [*_unanswered_places([replaced]), entry_command(order)]
    return send_commands(commands, f"REPLACE of order {replaced.pk} by {order.pk}")


def send_cancel(order: Order) -> bool:
    cancel = CancelOrder(order.market.symbol, order_id=order.pk, user_id=order.user_id)
    return send_commands([*_unanswered_places([order]), cancel], f"CANCEL of order {order.pk}")


def send_cancel_all(*, user_id: int, market: Market, orders: list[Order]) -> bool:
    """CANCEL_ALL of the user in ``market``; ``orders`` are their open orders there."""
    commands = [*_unanswered_places(orders), CancelAll(market.symbol, user_id=user_id)]
    return send_commands(commands, f"CANCEL_ALL in {market.symbol}")
