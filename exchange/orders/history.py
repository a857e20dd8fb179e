"""Read-only history queries with Binance's filters that ``selectors`` does not offer:
a market's public trades by id or time, a user's orders from an order id on.

Ordered oldest first, as Binance pages them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from exchange.accounts.models import User
from exchange.markets.models import Market
from exchange.orders.models import Order, Trade
from exchange.orders.selectors import order_rows


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
    """All the user's orders in ``market`` (open, done and moved to history), oldest first."""
    where = Q(user=user, market=market)
    if from_order_id is not None:
        where &= Q(pk__gte=from_order_id)
    if start_ms is not None:
        where &= Q(created_at__gte=_moment(start_ms))
    if end_ms is not None:
        where &= Q(created_at__lte=_moment(end_ms))
    if from_order_id is None and start_ms is None:
        return list(reversed(order_rows(where, ordering=("-id",), limit=limit)))
    return order_rows(where, ordering=("id",), limit=limit)
