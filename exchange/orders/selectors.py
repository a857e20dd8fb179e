"""Read-only queries of orders and trades (every API surface reads through these)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet, prefetch_related_objects

from exchange.accounts.models import User
from exchange.core.pagination import (
    DEFAULT_LIMIT,
    Page,
    check_limit,
    decode_cursor,
    page_of,
)
from exchange.markets.models import Market
from exchange.markets.selectors import get_market
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import OPEN_STATUSES, ClosedOrder, Order, OrderStatus, Side, Trade
from exchange.wallets.models import Asset

MAX_TRADES = 1000


def order_rows_query(
    where: Q, *, ordering: tuple[str, ...], limit: int | None = None
) -> QuerySet[Order]:
    """The orders matching ``where`` in ``orders_order`` and the closed-order history.

    One ``UNION ALL`` query of Order rows (ADR 0050): an order is in exactly one
    table, the history's months are pruned by a bound on ``created_at``. With a
    ``limit`` each side reads only its first rows, by its own index (on
    PostgreSQL; SQLite cannot order inside a union, and its tables stay small).
    """
    orders = Order.objects.filter(where)
    closed = ClosedOrder.objects.filter(where)
    if limit is not None and connection.features.supports_slicing_ordering_in_compound:
        orders, closed = orders.order_by(*ordering)[:limit], closed.order_by(*ordering)[:limit]
    rows = orders.union(closed, all=True).order_by(*ordering)
    return rows[:limit] if limit is not None else rows


def order_rows(where: Q, *, ordering: tuple[str, ...], limit: int | None = None) -> list[Order]:
    """``order_rows_query``'s orders with their markets and locked assets loaded.

    A union cannot ``select_related``: two more queries per call, none per row.
    Read only: a moved order saved would be inserted into ``orders_order`` again.
    """
    rows = list(order_rows_query(where, ordering=ordering, limit=limit))
    prefetch_related_objects(rows, "market", "locked_asset")
    return rows


def order_list_open(*, user: User, market: Market | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
    if market is not None:
        orders = orders.filter(market=market)
    return orders.select_related("market", "locked_asset").order_by("created_at", "pk")


def _choices(values: Iterable[str], allowed: Iterable[str], field: str) -> list[str]:
    chosen = [v.upper() for v in values]
    unknown = sorted(set(chosen) - set(allowed))
    if unknown:
        raise OrderError(
            OrderErrorCode.INVALID_FILTER,
            f"Invalid {field} {', '.join(unknown)}.",
            fields={field: "invalid"},
        )
    return chosen


def order_list(
    *,
    user: User,
    market: Market | None = None,
    statuses: Iterable[str] | None = None,
    open_only: bool = False,
    side: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Order]:
    """The user's orders newest first, filtered, one cursor page at a time.

    ``start``/``end`` bound the creation time (inclusive); ``open_only`` keeps
    NEW, PENDING_TRIGGER and PARTIALLY_FILLED orders.
    """
    check_limit(limit)
    where = Q(user=user)
    if market is not None:
        where &= Q(market=market)
    if statuses:
        where &= Q(status__in=_choices(statuses, OrderStatus.values, "status"))
    if open_only:
        where &= Q(status__in=OPEN_STATUSES)
    if side:
        where &= Q(side=_choices([side], Side.values, "side")[0])
    if start is not None:
        where &= Q(created_at__gte=start)
    if end is not None:
        where &= Q(created_at__lte=end)
    if cursor:
        where &= Q(pk__lt=decode_cursor(cursor))
    return page_of(order_rows(where, ordering=("-id",), limit=limit + 1), limit=limit)


def access_order(
    *,
    user: User,
    symbol: str | None = None,
    market: Market | None = None,
    order_id: int | None = None,
    client_order_id: str | None = None,
) -> Order:
    """The user's order by id or client order id (the newest if reused).

    ``symbol`` or ``market`` narrows the search to one market; an order of
    another user is ORDER_NOT_FOUND, exactly like one that does not exist.
    """
    if order_id is None and not client_order_id:
        raise OrderError(
            OrderErrorCode.MISSING_PARAMETER, "Either order_id or client_order_id must be sent."
        )
    if market is None and symbol is not None:
        market = get_market(symbol)
    where = Q(user=user)
    if market is not None:
        where &= Q(market=market)
    if order_id is not None:
        where &= Q(pk=order_id)
    if client_order_id:
        where &= Q(client_order_id=client_order_id)
    # orders_order first, in one joined query (cancel, amend and replace read open
    # orders): a match there is newer than any moved order with the same client id,
    # which was released before the other was placed (ADR 0050).
    newest = ("-created_at", "-id")
    order = (
        Order.objects.filter(where)
        .select_related("market", "locked_asset")
        .order_by(*newest)
        .first()
    )
    if order is not None:
        return order
    moved = order_rows(where, ordering=newest, limit=1)
    if not moved:
        raise OrderError(OrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
    return moved[0]


def trade_list_for_user(
    *,
    user: User,
    market: Market | None = None,
    order: Order | None = None,
    from_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 500,
) -> list[Trade]:
    """The user's trades (as maker or taker) oldest first, as Binance's myTrades.

    ``from_id`` is the market's ``trade_id`` and returns trades from it on, so
    it needs ``market`` (trade ids are per market); otherwise the newest
    ``limit`` trades in the time range.
    """
    check_limit(limit, maximum=MAX_TRADES)
    if from_id is not None and market is None:
        raise OrderError(
            OrderErrorCode.MISSING_PARAMETER,
            "from_id needs a symbol: trade ids are counted per market.",
            fields={"symbol": "required"},
        )
    trades = Trade.objects.filter(Q(maker_user=user) | Q(taker_user=user)).select_related(
        "market", "maker_commission_asset", "taker_commission_asset"
    )
    if market is not None:
        trades = trades.filter(market=market)
    if order is not None:
        trades = trades.filter(Q(maker_order=order) | Q(taker_order=order))
    if start is not None:
        trades = trades.filter(created_at__gte=start)
    if end is not None:
        trades = trades.filter(created_at__lte=end)
    if from_id is not None:
        return list(trades.filter(trade_id__gte=from_id).order_by("trade_id", "pk")[:limit])
    newest = list(trades.order_by("-created_at", "-pk")[:limit])
    newest.reverse()
    return newest


@dataclass(frozen=True)
class Fill:
    """A trade seen from one order: its side, role and commission."""

    trade: Trade
    order_id: int

    @property
    def is_maker(self) -> bool:
        return self.trade.maker_order_id == self.order_id

    @property
    def side(self) -> str:
        buyer = self.is_maker == self.trade.is_buyer_maker
        return Side.BUY.value if buyer else Side.SELL.value

    @property
    def commission(self) -> Decimal:
        t = self.trade
        return t.maker_commission if self.is_maker else t.taker_commission

    @property
    def commission_asset(self) -> Asset:
        t = self.trade
        return t.maker_commission_asset if self.is_maker else t.taker_commission_asset


def fills_of_user(trade: Trade, user_id: int) -> list[Fill]:
    """The user's side(s) of a trade: maker then taker, so two for a trade with oneself."""
    return [
        Fill(trade=trade, order_id=order_id)
        for order_id, owner in (
            (trade.maker_order_id, trade.maker_user_id),
            (trade.taker_order_id, trade.taker_user_id),
        )
        if owner == user_id
    ]


def fill_list_for_user(
    *,
    user: User,
    market: Market | None = None,
    order: Order | None = None,
    from_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 500,
) -> list[Fill]:
    """The user's fills, oldest first, as Binance's myTrades: the trades of
    ``trade_list_for_user`` (``limit`` counts trades), each from the user's
    side, so a self-trade gives two fills (maker, then taker). With ``order``,
    only that order's fills. One query, whatever the number of fills."""
    trades = trade_list_for_user(
        user=user, market=market, order=order, from_id=from_id, start=start, end=end, limit=limit
    )
    fills = [fill for trade in trades for fill in fills_of_user(trade, user.pk)]
    return fills if order is None else [f for f in fills if f.order_id == order.pk]


def last_trade_price(market: Market) -> Decimal | None:
    return (
        Trade.objects.filter(market=market)
        .order_by("-trade_id")
        .values_list("price", flat=True)
        .first()
    )


def open_order_locks() -> QuerySet[Order]:
    """Open orders with what they still hold, for reconciliation."""
    return Order.objects.filter(status__in=OPEN_STATUSES, locked_remaining__gt=0)


def trade_list_for_orders(*, order_ids: Iterable[int]) -> QuerySet[Trade]:
    """Every trade of these orders (as maker or taker), oldest first, in one query."""
    ids = list(order_ids)
    return (
        Trade.objects.filter(Q(maker_order_id__in=ids) | Q(taker_order_id__in=ids))
        .select_related(
            "market__base", "market__quote", "maker_commission_asset", "taker_commission_asset"
        )
        .order_by("created_at", "market_id", "trade_id")
    )
