"""Read-only history queries with Binance's filters: a market's trades, a user's orders and fills.

Limits are applied here; the callers choose them. Ordered oldest first, as
Binance pages them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from exchange.accounts.models import User
from exchange.markets.models import Market
from exchange.orders.models import Order, Trade


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def market_trade_history(
    *,
    market: Market,
    from_id: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
) -> list[Trade]:
    """The market's trades from ``from_id`` or in [start, end]; else the latest ``limit``."""
    trades = Trade.objects.filter(market=market).select_related("market")
    if from_id is not None:
        trades = trades.filter(trade_id__gte=from_id)
    if start_ms is not None:
        trades = trades.filter(created_at__gte=_moment(start_ms))
    if end_ms is not None:
        trades = trades.filter(created_at__lte=_moment(end_ms))
    if from_id is None and start_ms is None:
        return list(reversed(trades.order_by("-trade_id")[:limit]))
    return list(trades.order_by("trade_id")[:limit])


def order_history_for_user(
    *,
    user: User,
    market: Market,
    from_order_id: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
) -> list[Order]:
    """All the user's orders in ``market`` (open and done), oldest first."""
    orders = Order.objects.filter(user=user, market=market).select_related("market")
    if from_order_id is not None:
        orders = orders.filter(pk__gte=from_order_id)
    if start_ms is not None:
        orders = orders.filter(created_at__gte=_moment(start_ms))
    if end_ms is not None:
        orders = orders.filter(created_at__lte=_moment(end_ms))
    if from_order_id is None and start_ms is None:
        return list(reversed(orders.order_by("-pk")[:limit]))
    return list(orders.order_by("pk")[:limit])


def fills_for_user(
    *,
    user: User,
    market: Market,
    order_id: int | None = None,
    from_id: int | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
) -> list[Trade]:
    """The user's trades in ``market`` (as maker or taker), oldest first."""
    trades = Trade.objects.filter(
        Q(maker_user=user) | Q(taker_user=user), market=market
    ).select_related("market", "maker_commission_asset", "taker_commission_asset")
    if order_id is not None:
        trades = trades.filter(Q(maker_order_id=order_id) | Q(taker_order_id=order_id))
    if from_id is not None:
        trades = trades.filter(trade_id__gte=from_id)
    if start_ms is not None:
        trades = trades.filter(created_at__gte=_moment(start_ms))
    if end_ms is not None:
        trades = trades.filter(created_at__lte=_moment(end_ms))
    if from_id is None and start_ms is None:
        return list(reversed(trades.order_by("-trade_id")[:limit]))
    return list(trades.order_by("trade_id")[:limit])


def fills_of_order(order: Order) -> QuerySet[Trade]:
    """The trades of one order, in match order (the ``fills`` of a FULL answer)."""
    return (
        Trade.objects.filter(Q(maker_order=order) | Q(taker_order=order))
        .select_related("maker_commission_asset", "taker_commission_asset")
        .order_by("trade_id")
    )
