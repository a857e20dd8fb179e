"""Order lists (OCO): two legs entered together, one hold, one engine command.

Entry locks the risk stage's one hold for the list (``hold_for_list``) on
the first leg's row (the below leg; the other row holds nothing), inserts both
legs and sends one PLACE_LIST after commit. In the engine the first leg to
trade, trigger or leave the book cancels the other in the same step; that
canceled leg reports no unused lock, and clearing moves the hold to the leg
that acted (``clearing.spot.settle``). Canceling a list cancels one leg: the
engine cancels the other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from exchange.accounts.models import User
from exchange.orders import engine_commands as engine_gateway
from exchange.orders.actions import (
    _duplicate_or_raise,
    _insufficient,
    _order_row,
    check_place_order,
)
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.list_requests import OcoRequest
from exchange.orders.models import OPEN_STATUSES, Order, OrderList
from exchange.orders.selectors import last_trade_price, order_rows
from exchange.risk.products import Product, risk_for
from exchange.risk.stage import Hold
from exchange.wallets.errors import WalletError
from exchange.wallets.ledger import Line, Posting, post_entries, user_account
from exchange.wallets.models import Bucket, JournalReason

RISK = risk_for(Product.SPOT)


def check_place_oco(*, request: OcoRequest) -> None:
    """The market trades, and its last price lies between the legs. Reads only."""
    check_place_order(request=request.below)
    request.check_last_price(last_trade_price(request.below.market))


def do_place_oco(*, user: User, request: OcoRequest) -> tuple[OrderList, list[Order]]:
    """Lock the list's one hold, insert the list and its legs (below, above) in one
    transaction, and send one PLACE_LIST after commit."""
    market = request.below.market
    hold = RISK.hold_for_list(
        user_id=user.pk, orders=request.legs, last_price=lambda: last_trade_price(market)
    )
    if hold.amount <= 0:
        raise _insufficient(hold.asset)
    try:
        with transaction.atomic():
            order_list = OrderList.objects.create(
                user=user,
                market=market,
                list_client_order_id=request.list_client_order_id,
            )
            legs = []
            for index, leg in enumerate(request.legs):
                # One sequence: the first leg's id is the lower, and it holds the lock.
                row = _order_row(user, leg, hold if index == 0 else Hold(hold.asset, Decimal(0)))
                row.order_list = order_list
                row.save(force_insert=True)
                legs.append(row)
            account = user_account(user)
            post_entries(
                [
                    Posting(
                        reason=JournalReason.ORDER_LOCK,
                        reference=f"order:{legs[0].pk}",
                        lines=[
                            Line(account, hold.asset, Bucket.AVAILABLE, -hold.amount),
                            Line(account, hold.asset, Bucket.LOCKED, hold.amount),
                        ],
                    )
                ],
                savepoint=False,
            )
            transaction.on_commit(lambda: engine_gateway.send_places(legs))
    except WalletError as exc:
        raise _insufficient(hold.asset) from exc
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    return order_list, legs


def place_oco(*, user: User, request: OcoRequest) -> tuple[OrderList, list[Order]]:
    """check_place_oco then do_place_oco: what every surface calls."""
    check_place_oco(request=request)
    return do_place_oco(user=user, request=request)


def access_order_list(
    *,
    user: User,
    order_list_id: int | None = None,
    list_client_order_id: str | None = None,
    symbol: str | None = None,
) -> OrderList:
    """The user's list by id or list client order id (the newest if reused)."""
    lists = OrderList.objects.filter(user=user).select_related("market")
    if symbol is not None:
        lists = lists.filter(market__symbol=symbol)
    if order_list_id is not None:
        lists = lists.filter(pk=order_list_id)
    elif list_client_order_id is not None:
        lists = lists.filter(list_client_order_id=list_client_order_id)
    else:
        raise OrderError(
            OrderErrorCode.MISSING_PARAMETER, "order_list_id or list_client_order_id is required."
        )
    found = lists.order_by("-pk").first()
    if found is None:
        raise OrderError(OrderErrorCode.ORDER_LIST_NOT_FOUND, "Order list does not exist.")
    return found


def list_legs(order_list: OrderList) -> list[Order]:
    """The list's legs in entry order (below, above), wherever they are (ADR 0050)."""
    return order_rows(Q(order_list=order_list), ordering=("id",))


def do_cancel_order_list(*, user: User, order_list: OrderList) -> list[Order]:
    """Cancel the list's open leg (the engine cancels the other in the same step).

    ORDER_NOT_OPEN when no leg is open. Returns the legs, cancel requested.
    """
    assert order_list.user_id == user.pk
    legs = list_legs(order_list)
    open_legs = [leg for leg in legs if leg.is_open]
    if not open_legs:
        raise OrderError(OrderErrorCode.ORDER_NOT_OPEN, "The order list is no longer open.")
    now = timezone.now()
    Order.objects.filter(pk__in=[leg.pk for leg in open_legs]).update(cancel_requested_at=now)
    for leg in open_legs:
        leg.cancel_requested_at = now
    engine_gateway.send_cancel(open_legs[0])
    return legs


def order_lists_for_user(
    *,
    user: User,
    open_only: bool = False,
    from_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 500,
) -> list[tuple[OrderList, list[Order]]]:
    """The user's lists with their legs, oldest first (the newest ``limit`` without a
    ``from_id`` or ``start``); ``open_only``: lists with an open leg. Two queries."""
    lists = OrderList.objects.filter(user=user).select_related("market")
    if open_only:
        lists = lists.filter(orders__status__in=OPEN_STATUSES).distinct()
    if from_id is not None:
        lists = lists.filter(pk__gte=from_id)
    if start is not None:
        lists = lists.filter(created_at__gte=start)
    if end is not None:
        lists = lists.filter(created_at__lte=end)
    if from_id is None and start is None:
        chosen = list(reversed(lists.order_by("-pk")[:limit]))
    else:
        chosen = list(lists.order_by("pk")[:limit])
    legs: dict[int, list[Order]] = {}
    for leg in order_rows(Q(order_list__in=chosen), ordering=("id",)):
        legs.setdefault(leg.order_list_id, []).append(leg)  # type: ignore[arg-type]
    return [(order_list, legs.get(order_list.pk, [])) for order_list in chosen]
