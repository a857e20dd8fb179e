"""Read-only queries of a user's futures orders, fills and income (the read APIs share them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import (
    FUTURES_OPEN_STATUSES,
    AutoCloseType,
    Contract,
    ForcedOrder,
    FuturesOrder,
    FuturesOrderAmendment,
    FuturesTrade,
    FuturesTransfer,
    Income,
    IncomeType,
)


def access_futures_order(
    *, user: Any, contract: Contract, order_id: int | None, client_order_id: str | None
) -> FuturesOrder:
    """The user's order in ``contract`` by id or client id, or UNKNOWN_ORDER."""
    rows = FuturesOrder.objects.filter(user=user, contract=contract).select_related("contract")
    if order_id is not None:
        rows = rows.filter(pk=order_id)
    else:
        rows = rows.filter(client_order_id=client_order_id or "")
    order = rows.first()
    if order is None:
        raise FuturesError(FuturesErrorCode.UNKNOWN_ORDER, "Order does not exist.")
    return order


def futures_open_orders(*, user: Any, contract: Contract | None = None) -> QuerySet[FuturesOrder]:
    rows = FuturesOrder.objects.filter(user=user, status__in=FUTURES_OPEN_STATUSES)
    if contract is not None:
        rows = rows.filter(contract=contract)
    return rows.select_related("contract").order_by("pk")


def futures_order_list(
    *, user: Any, contract: Contract | None, open_only: bool, limit: int
) -> list[FuturesOrder]:
    """The user's newest ``limit`` orders (only open ones with ``open_only``), newest first."""
    rows = FuturesOrder.objects.filter(user=user).select_related("contract")
    if contract is not None:
        rows = rows.filter(contract=contract)
    if open_only:
        rows = rows.filter(status__in=FUTURES_OPEN_STATUSES)
    return list(rows.order_by("-pk")[:limit])


def access_futures_order_by_id(*, user: Any, order_id: int) -> FuturesOrder:
    """The user's order ``order_id`` in any contract, or UNKNOWN_ORDER."""
    order = FuturesOrder.objects.filter(user=user, pk=order_id).select_related("contract").first()
    if order is None:
        raise FuturesError(FuturesErrorCode.UNKNOWN_ORDER, "Order does not exist.")
    return order


def futures_transfer_list(*, user: Any, limit: int) -> list[FuturesTransfer]:
    """The user's newest ``limit`` transfers between spot and futures, newest first."""
    rows = FuturesTransfer.objects.filter(user=user).select_related("asset")
    return list(rows.order_by("-pk")[:limit])


def futures_order_history(
    *,
    user: Any,
    contract: Contract,
    from_id: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[FuturesOrder]:
    """Oldest first from ``from_id``, else the newest ``limit`` in the window, oldest first."""
    rows = FuturesOrder.objects.filter(user=user, contract=contract).select_related("contract")
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lte=end)
    if from_id is not None:
        return list(rows.filter(pk__gte=from_id).order_by("pk")[:limit])
    return list(rows.order_by("-pk")[:limit])[::-1]


def futures_fills(
    *,
    user: Any,
    contract: Contract,
    order_id: int | None,
    from_seq: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[FuturesTrade]:
    """The user's fills in ``contract`` (as taker or maker), oldest first."""
    mine = Q(taker_user_id=user.pk) | Q(maker_user_id=user.pk)
    rows = FuturesTrade.objects.filter(mine, contract=contract)
    if order_id is not None:
        rows = rows.filter(Q(taker_order_id=order_id) | Q(maker_order_id=order_id))
    if start is not None:
        rows = rows.filter(time__gte=start)
    if end is not None:
        rows = rows.filter(time__lte=end)
    if from_seq is not None:
        return list(rows.filter(trade_seq__gte=from_seq).order_by("trade_seq")[:limit])
    return list(rows.order_by("-time", "-trade_seq")[:limit])[::-1]


@dataclass(frozen=True, slots=True)
class FuturesFill:
    """One trade from one user's side (a self-trade: as the taker)."""

    trade: FuturesTrade
    is_maker: bool
    side: str
    order_id: int
    commission: Decimal
    realized_pnl: Decimal


def fill_of(trade: FuturesTrade, user_id: int) -> FuturesFill:
    maker = trade.taker_user_id != user_id
    buyer = (trade.taker_side == "BUY") != maker
    return FuturesFill(
        trade=trade,
        is_maker=maker,
        side="BUY" if buyer else "SELL",
        order_id=trade.maker_order_id if maker else trade.taker_order_id,
        commission=trade.maker_fee if maker else trade.taker_fee,
        realized_pnl=trade.maker_realized_pnl if maker else trade.taker_realized_pnl,
    )


def income_history(
    *,
    user: Any,
    income_type: str | None,
    contract: Contract | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[Income]:
    """The user's income rows, oldest first; without a window, the newest ``limit``."""
    rows = Income.objects.filter(user=user).select_related("asset")
    if income_type:
        if income_type not in IncomeType.values:
            raise FuturesError(
                FuturesErrorCode.INVALID_ORDER,
                f"Invalid income_type {income_type!r}.",
                fields={"income_type": "invalid"},
            )
        rows = rows.filter(income_type=income_type)
    if contract is not None:
        rows = rows.filter(contract=contract)
    if start is not None:
        rows = rows.filter(time__gte=start)
        if end is not None:
            rows = rows.filter(time__lte=end)
        return list(rows.order_by("time", "entry_id", "seq")[:limit])
    if end is not None:
        rows = rows.filter(time__lte=end)
    return list(rows.order_by("-time", "-entry_id", "-seq")[:limit])[::-1]


def futures_order_amendments(
    *, order: FuturesOrder, start: Any = None, end: Any = None, limit: int = 50
) -> list[tuple[FuturesOrderAmendment, int]]:
    """The order's modifies the engine accepted, oldest first, each with its ordinal."""
    rows = order.amendments.filter(result="OK").select_related("order__contract").order_by("pk")
    numbered = [(row, n) for n, row in enumerate(rows, start=1)]
    return [
        (row, n)
        for row, n in numbered
        if (start is None or row.created_at >= start) and (end is None or row.created_at <= end)
    ][:limit]


FORCED_ORDER_WINDOW = dt.timedelta(days=7)


def forced_orders(
    *,
    user: Any,
    contract: Contract | None,
    kind: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
) -> list[ForcedOrder]:
    """The user's liquidation and ADL closes, oldest first. Without ``start``, the seven
    days before ``end`` (or now), newest ``limit``; with it, the first ``limit`` from it."""
    rows = ForcedOrder.objects.filter(user=user).select_related("contract")
    if kind:
        if kind not in AutoCloseType.values:
            raise FuturesError(
                FuturesErrorCode.INVALID_ORDER,
                f"Invalid auto_close_type {kind!r}.",
                fields={"auto_close_type": "invalid"},
            )
        rows = rows.filter(auto_close_type=kind)
    if contract is not None:
        rows = rows.filter(contract=contract)
    if end is not None:
        rows = rows.filter(time__lte=end)
    if start is not None:
        return list(rows.filter(time__gte=start).order_by("time", "pk")[:limit])
    since = (end or timezone.now()) - FORCED_ORDER_WINDOW
    return list(rows.filter(time__gte=since).order_by("-time", "-pk")[:limit])[::-1]
