"""Read-only queries of orders and trades."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q, QuerySet

from exchange.accounts.models import User
from exchange.markets.models import Market
from exchange.markets.selectors import get_market
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import OPEN_STATUSES, Order, Trade


def order_list_open(*, user: User, market: Market | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
    if market is not None:
        orders = orders.filter(market=market)
    return orders.select_related("market").order_by("created_at", "pk")


def access_order(
    *, user: User, symbol: str, order_id: int | None = None, client_order_id: str | None = None
) -> Order:
    """The user's order in ``symbol`` by id or client order id (the newest if reused)."""
    if order_id is None and not client_order_id:
        raise OrderError(
            OrderErrorCode.MISSING_PARAMETER, "Either orderId or origClientOrderId must be sent."
        )
    market = get_market(symbol)
    orders = Order.objects.filter(user=user, market=market).select_related("market")
    if order_id is not None:
        orders = orders.filter(pk=order_id)
    if client_order_id:
        orders = orders.filter(client_order_id=client_order_id)
    order = orders.order_by("-created_at", "-pk").first()
    if order is None:
        raise OrderError(OrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
    return order


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
