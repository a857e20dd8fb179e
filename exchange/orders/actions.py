"""Order entry: validate (check_*), lock funds and insert (do_*), then tell the engine.

The engine hears of an order only after its transaction commits; if that
append is lost, the sweeper re-sends it and the engine ignores duplicates.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from functools import cache
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.core.metrics import ORDERS_PLACED, ORDERS_REFUSED
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import MarketStatus
from exchange.markets.selectors import get_market
from exchange.orders import engine_commands as engine_gateway
from exchange.orders import group_commit
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import OPEN_STATUSES, STOP_TYPES, Order, OrderStatus
from exchange.orders.place_statement import place_in_one_statement
from exchange.orders.requests import CancelRequest, OrderRequest
from exchange.orders.selectors import access_order, last_trade_price, order_list_open
from exchange.risk.products import Product, risk_for
from exchange.risk.stage import Hold
from exchange.wallets.errors import WalletError
from exchange.wallets.ledger import Line, Posting, post_entries, user_account
from exchange.wallets.models import Asset, Bucket, JournalReason

logger = logging.getLogger(__name__)

RISK = risk_for(Product.SPOT)  # order entry here is spot's; futures enter through their engine


P = ParamSpec("P")
R = TypeVar("R")


def _refusals_counted(action: Callable[P, R]) -> Callable[P, R]:
    """Count an order-entry check's refusals by code (/metrics)."""

    @functools.wraps(action)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return action(*args, **kwargs)
        except DomainError as exc:
            _refused(exc.code.value).inc()
            raise

    return counted


# One labelled child per market and per code, looked up once: ``labels()`` sorts and
# checks its arguments and takes a lock on every call, once per order.
_placed = cache(lambda market: ORDERS_PLACED.labels(market=market))
_refused = cache(lambda code: ORDERS_REFUSED.labels(code=code))


@_refusals_counted
def check_place_order(*, request: OrderRequest) -> None:
    """Check that the request's market trades now (its filters were checked when the
    request was built). Reads only."""
    market = request.market
    if market.status != MarketStatus.TRADING:
        raise MarketError(
            MarketErrorCode.MARKET_NOT_TRADING, f"Market {market.symbol} is {market.status}."
        )


def _hold_for(user: User, request: OrderRequest) -> Hold:
    return RISK.hold_for(
        user_id=user.pk,
        order=request,
        last_price=lambda: last_trade_price(request.market),
    )


def _insufficient(*assets: Asset) -> OrderError:
    codes = ", ".join(sorted({asset.code for asset in assets}))
    return OrderError(
        OrderErrorCode.INSUFFICIENT_BALANCE,
        f"Insufficient available balance ({codes}).",
    )


def do_place_order(*, user: User, request: OrderRequest) -> Order:
    """Lock the funds and insert the order in one transaction; PLACE it after commit.

    The hold is the risk stage's (``risk.spot``) on both paths. On PostgreSQL that
    transaction is one statement (``place_statement``), committed together with
    other threads' orders when group commit is on. Counted on /metrics here, not by
    a wrapper (``_refusals_counted``): the wrapper's type check and the order's market
    lookup were most of the counting's calls per order.
    """
    try:
        if connection.vendor != "postgresql":
            row = do_place_orders(user=user, requests=[request])[0]
        else:
            row = _place_in_one_statement(user, request)
    except DomainError as exc:
        _refused(exc.code.value).inc()
        raise
    _placed(request.market.symbol).inc()
    return row


def _place_in_one_statement(user: User, request: OrderRequest) -> Order:
    hold = _hold_for(user, request)
    if hold.amount <= 0:
        raise _insufficient(hold.asset)
    row = _order_row(user, request, hold)
    grouped = group_commit.enabled()
    try:
        placed = group_commit.place_grouped(row) if grouped else place_in_one_statement(row)
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    if not placed:
        raise _insufficient(hold.asset)
    if not grouped:  # the group's committer appends its PLACEs itself
        transaction.on_commit(lambda: engine_gateway.send_places([row]))
    return row


@cache
def _order_defaults() -> dict[str, object]:
    """Every column of an order (by attname, in field order) at its field's default.

    A default made per row (a callable) must be set by ``_order_row``, as
    ``created_at``'s is: any other would be written as NULL, so it fails here.
    """
    per_row = {"created_at"}
    varying = [
        f.name for f in Order._meta.concrete_fields if f.has_default() and callable(f.default)
    ]
    if unset := sorted(set(varying) - per_row):
        raise TypeError(
            f"Order fields with a per-row default that _order_row does not set: {unset}"
        )
    return {
        f.attname: None if callable(f.default) else f.get_default()
        for f in Order._meta.concrete_fields
    }


def _order_row(user: User, request: OrderRequest, hold: Hold) -> Order:
    """The unsaved order holding ``hold``, its user, market and locked asset cached on it.

    Built from its columns in field order, Django's fast path for positional values
    (a third of the CPU of keyword arguments with related objects).
    """
    amount = hold.amount
    columns = _order_defaults() | {
        "user_id": user.pk,
        "market_id": request.market.pk,
        "client_order_id": request.client_order_id,
        "side": request.side,
        "type": request.type,
        "time_in_force": request.time_in_force,
        "self_trade_prevention": request.self_trade_prevention,
        "price": request.price,
        "stop_price": request.stop_price,
        "trailing_delta": request.trailing_delta,
        "orig_qty": request.quantity,
        "quote_order_qty": request.quote_order_qty,
        "status": OrderStatus.PENDING_TRIGGER if request.type in STOP_TYPES else OrderStatus.NEW,
        "locked_asset_id": hold.asset.pk,
        "locked": amount,
        "locked_remaining": amount,
        "created_at": timezone.now(),
    }
    row = Order(*columns.values())
    for descriptor, related in (
        (Order.user, user),
        (Order.market, request.market),
        (Order.locked_asset, hold.asset),
    ):
        descriptor.field.set_cached_value(row, related)
    return row


def _duplicate_or_raise(exc: IntegrityError) -> Exception:
    if "client_order_id" not in str(exc):
        return exc
    return OrderError(
        OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID, "An order with this client order id exists."
    )


def do_place_orders(*, user: User, requests: Sequence[OrderRequest]) -> list[Order]:
    """Place several orders of one user in one transaction: all are accepted or none.

    One insert for the orders, one journal entry per order, one update per
    touched balance, one pipelined append of the PLACEs after commit.
    """
    holds = [_hold_for(user, request) for request in requests]
    for hold in holds:
        if hold.amount <= 0:
            raise _insufficient(hold.asset)
    rows = [_order_row(user, request, hold) for request, hold in zip(requests, holds, strict=True)]
    try:
        with transaction.atomic():
            created = Order.objects.bulk_create(rows)
            account = user_account(user)
            post_entries(
                [
                    Posting(
                        reason=JournalReason.ORDER_LOCK,
                        reference=f"order:{row.pk}",
                        lines=[
                            Line(account, row.locked_asset, Bucket.AVAILABLE, -row.locked),
                            Line(account, row.locked_asset, Bucket.LOCKED, row.locked),
                        ],
                    )
                    for row in created
                ],
                savepoint=False,
            )
            transaction.on_commit(lambda: engine_gateway.send_places(created))
    except WalletError as exc:
        raise _insufficient(*(hold.asset for hold in holds)) from exc
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    return created


def place_order(*, user: User, request: OrderRequest) -> Order:
    """check_place_order then do_place_order: what every surface calls."""
    check_place_order(request=request)
    return do_place_order(user=user, request=request)


def do_cancel_order(*, user: User, request: CancelRequest) -> Order:
    """Ask the engine to cancel an open order; clearing records the outcome.

    Without a symbol the order is looked up among all the user's markets.
    """
    order = access_order(
        user=user,
        symbol=request.symbol,
        order_id=request.order_id,
        client_order_id=request.client_order_id,
    )
    if not order.is_open:
        raise OrderError(OrderErrorCode.ORDER_NOT_OPEN, "The order is no longer open.")
    order.cancel_requested_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(cancel_requested_at=order.cancel_requested_at)
    engine_gateway.send_cancel(order)
    return order


def do_cancel_all_orders(*, user: User, symbol: str) -> list[Order]:
    """Cancel every open order of the user in one market; returns them, cancel requested."""
    market = get_market(symbol)
    orders = list(order_list_open(user=user, market=market))
    if orders:
        now = timezone.now()
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(cancel_requested_at=now)
        for order in orders:
            order.cancel_requested_at = now
        engine_gateway.send_cancel_all(user_id=user.pk, market=market, orders=orders)
    return orders


RESEND_AFTER = dt.timedelta(seconds=3)
RESEND_BACKOFF = dt.timedelta(seconds=30)


def do_resend_unacknowledged(
    *,
    older_than: dt.timedelta = RESEND_AFTER,
    backoff: dt.timedelta = RESEND_BACKOFF,
    limit: int = 1000,
) -> int:
    """Re-send PLACE for orders the engine has not answered, CANCEL for open orders whose
    cancel is unanswered. The engine ignores duplicate PLACEs and unknown CANCELs.

    An order is re-sent at most once per ``backoff``, so an engine that is down for
    long does not find its input stream flooded with copies when it comes back.
    """
    now = timezone.now()
    cutoff, quiet = now - older_than, Q(resent_at__isnull=True) | Q(resent_at__lt=now - backoff)
    open_orders = Order.objects.filter(quiet, status__in=OPEN_STATUSES).select_related("market")
    places = list(
        open_orders.filter(accepted_at__isnull=True, created_at__lt=cutoff).order_by("pk")[:limit]
    )
    cancels = list(open_orders.filter(cancel_requested_at__lt=cutoff).order_by("pk")[:limit])
    if places or cancels:
        logger.info(
            "sweeper: re-sending %d unacknowledged orders and %d cancels", len(places), len(cancels)
        )
    if places:
        engine_gateway.send_places(places)
    for order in cancels:
        engine_gateway.send_cancel(order)
    Order.objects.filter(pk__in=[o.pk for o in places + cancels]).update(resent_at=now)
    return len(places) + len(cancels)
