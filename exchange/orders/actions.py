"""Order entry: validate (check_*), lock funds and insert (do_*), then tell the engine.

The engine hears of an order only after its transaction commits; if that
append is lost, the sweeper re-sends it and the engine ignores duplicates.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, TextChoices
from django.utils import timezone

from exchange.accounts.models import User
from exchange.core.errors import DomainError
from exchange.core.metrics import ORDERS_PLACED, ORDERS_REFUSED
from exchange.core.money import is_multiple_of, parse_decimal
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.filters import check_notional, clean_price, clean_quantity
from exchange.markets.models import Market, MarketStatus
from exchange.markets.selectors import get_market, get_market_cached
from exchange.orders import engine_commands as engine_gateway
from exchange.orders import group_commit
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.lock import floor_to, market_buy_lock, quote_unit
from exchange.orders.models import (
    LIMIT_PRICED_TYPES,
    OPEN_STATUSES,
    STOP_TYPES,
    Order,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from exchange.orders.place_statement import place_in_one_statement
from exchange.orders.selectors import access_order, last_trade_price, order_list_open
from exchange.wallets.errors import WalletError
from exchange.wallets.ledger import Line, Posting, post_entries, user_account
from exchange.wallets.models import Asset, Balance, Bucket, JournalReason

logger = logging.getLogger(__name__)

CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9_.:/-]{1,36}$")


@dataclass(frozen=True)
class ValidatedOrder:
    """An order that passed every check that needs no balance."""

    market: Market
    side: Side
    type: OrderType
    time_in_force: str
    price: Decimal | None
    stop_price: Decimal | None
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    client_order_id: str
    self_trade_prevention: SelfTradePrevention


Choice = TypeVar("Choice", bound=TextChoices)
P = ParamSpec("P")
R = TypeVar("R")


@cache
def _members(enum: type[Choice]) -> dict[str, Choice]:
    """An enum's members by value, built once: ``Choices.values`` builds a new list on
    every access, and ``enum(value)`` looks the member up through the enum machinery."""
    return {member.value: member for member in enum}


def _choice(enum: type[Choice], value: object, code: OrderErrorCode, field: str) -> Choice:
    member = _members(enum).get(str(value or "").upper())
    if member is None:
        raise OrderError(code, f"Invalid {field} {value!r}.", fields={field: "invalid"})
    return member


def _require(name: str, value: object) -> None:
    if value in (None, ""):
        raise OrderError(
            OrderErrorCode.MISSING_PARAMETER,
            f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
            fields={name: "required"},
        )


def _forbid(name: str, value: object, why: str) -> None:
    if value not in (None, ""):
        raise OrderError(
            OrderErrorCode.UNEXPECTED_PARAMETER,
            f"Parameter '{name}' {why}.",
            fields={name: "unexpected"},
        )


def _counted(action: Callable[P, R]) -> Callable[P, R]:
    """Count an order-entry step's refusals by code, and a placed order by market (/metrics)."""

    @functools.wraps(action)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = action(*args, **kwargs)
        except DomainError as exc:
            ORDERS_REFUSED.labels(code=exc.code.value).inc()
            raise
        if isinstance(result, Order):
            ORDERS_PLACED.labels(market=result.market.symbol).inc()
        return result

    return counted


@_counted
def check_place_order(
    *,
    symbol: str,
    side: str,
    type: str,  # noqa: A002 - the API's own name
    quantity: object = None,
    quote_order_qty: object = None,
    price: object = None,
    stop_price: object = None,
    time_in_force: object = None,
    client_order_id: str | None = None,
    self_trade_prevention: object = None,
) -> ValidatedOrder:
    """Check an order against the market's status and filters. Reads only."""
    market = get_market_cached(symbol)
    if market.status != MarketStatus.TRADING:
        raise MarketError(
            MarketErrorCode.MARKET_NOT_TRADING, f"Market {market.symbol} is {market.status}."
        )
    side_v = _choice(Side, side, OrderErrorCode.INVALID_SIDE, "side")
    type_v = _choice(OrderType, type, OrderErrorCode.INVALID_TYPE, "type")
    stp = _choice(
        SelfTradePrevention,
        self_trade_prevention or "NONE",
        OrderErrorCode.INVALID_SELF_TRADE_PREVENTION,
        "selfTradePreventionMode",
    )
    if client_order_id in (None, ""):
        client_order_id = f"x-{secrets.token_hex(15)}"  # 30 random hex digits
    elif not CLIENT_ORDER_ID.match(str(client_order_id)):
        raise OrderError(
            OrderErrorCode.INVALID_CLIENT_ORDER_ID,
            "Client order id must be 1-36 characters of letters, digits and -_.:/",
            fields={"newClientOrderId": "invalid"},
        )

    tif = ""
    if type_v in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        tif = _choice(
            TimeInForce, time_in_force or "GTC", OrderErrorCode.INVALID_TIME_IN_FORCE, "timeInForce"
        )
    elif type_v in (OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
        tif = TimeInForce.GTC  # what Binance reports for market orders; they never rest

    price_v = None
    if type_v in LIMIT_PRICED_TYPES:
        _require("price", price)
        price_v = clean_price(market, price)
    else:
        _forbid("price", price, "is not allowed for this order type")

    stop_v = None
    if type_v in STOP_TYPES:
        _require("stopPrice", stop_price)
        stop_v = clean_price(market, stop_price, field="stopPrice")
    else:
        _forbid("stopPrice", stop_price, "is only for stop-loss and take-profit orders")

    qty_v = quote_v = None
    if type_v == OrderType.MARKET and quote_order_qty not in (None, ""):
        _forbid("quantity", quantity, "and quoteOrderQty cannot both be sent")
        quote_v = parse_decimal(quote_order_qty)
        if quote_v is None or quote_v <= 0 or not is_multiple_of(quote_v, quote_unit(market)):
            raise OrderError(
                OrderErrorCode.INVALID_QUOTE_QTY,
                f"quoteOrderQty must be a positive multiple of {quote_unit(market).normalize():f}.",
                fields={"quoteOrderQty": "invalid"},
            )
        check_notional(market, quote_v)
    else:
        _forbid("quoteOrderQty", quote_order_qty, "is only for MARKET orders")
        _require("quantity", quantity)
        qty_v = clean_quantity(market, quantity)
        if price_v is not None:
            check_notional(market, price_v * qty_v)

    return ValidatedOrder(
        market=market,
        side=side_v,
        type=type_v,
        time_in_force=tif,
        price=price_v,
        stop_price=stop_v,
        quantity=qty_v,
        quote_order_qty=quote_v,
        client_order_id=str(client_order_id),
        self_trade_prevention=stp,
    )


def _available(user: User, asset: Asset) -> Decimal:
    row = Balance.objects.filter(account__user=user, asset=asset).values_list(
        "available", flat=True
    )
    return row.first() or Decimal(0)


def _lock_for(user: User, order: ValidatedOrder) -> tuple[Asset, Decimal]:
    market = order.market
    if order.side == Side.SELL:
        if order.quantity is not None:
            return market.base, order.quantity
        whole = min(_available(user, market.base), market.max_qty)
        return market.base, floor_to(whole, market.step_size)
    if order.quote_order_qty is not None:
        return market.quote, order.quote_order_qty
    assert order.quantity is not None
    if order.price is not None:
        return market.quote, order.price * order.quantity
    references = [p for p in (last_trade_price(market), order.stop_price) if p is not None]
    return market.quote, market_buy_lock(
        market,
        quantity=order.quantity,
        available=_available(user, market.quote),
        reference=max(references) if references else None,
    )


def _insufficient(*assets: Asset) -> OrderError:
    codes = ", ".join(sorted({asset.code for asset in assets}))
    return OrderError(
        OrderErrorCode.INSUFFICIENT_BALANCE,
        f"Account has insufficient balance for requested action. ({codes})",
    )


@_counted
def do_place_order(*, user: User, order: ValidatedOrder) -> Order:
    """Lock the funds and insert the order in one transaction; PLACE it after commit.

    On PostgreSQL that transaction is one statement (``place_statement``),
    committed together with other threads' orders when group commit is on.
    """
    if connection.vendor != "postgresql":
        return do_place_orders(user=user, orders=[order])[0]
    asset, amount = _lock_for(user, order)
    if amount <= 0:
        raise _insufficient(asset)
    row = _order_row(user, order, asset, amount)
    grouped = group_commit.enabled()
    try:
        placed = group_commit.place_grouped(row) if grouped else place_in_one_statement(row)
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    if not placed:
        raise _insufficient(asset)
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


def _order_row(user: User, order: ValidatedOrder, asset: Asset, amount: Decimal) -> Order:
    """The unsaved order, its user, market and locked asset cached on it.

    Built from its columns in field order, Django's fast path for positional values
    (a third of the CPU of keyword arguments with related objects).
    """
    columns = _order_defaults() | {
        "user_id": user.pk,
        "market_id": order.market.pk,
        "client_order_id": order.client_order_id,
        "side": order.side,
        "type": order.type,
        "time_in_force": order.time_in_force,
        "self_trade_prevention": order.self_trade_prevention,
        "price": order.price,
        "stop_price": order.stop_price,
        "orig_qty": order.quantity,
        "quote_order_qty": order.quote_order_qty,
        "status": OrderStatus.PENDING_TRIGGER if order.type in STOP_TYPES else OrderStatus.NEW,
        "locked_asset_id": asset.pk,
        "locked": amount,
        "locked_remaining": amount,
        "created_at": timezone.now(),
    }
    row = Order(*columns.values())
    for descriptor, related in (
        (Order.user, user),
        (Order.market, order.market),
        (Order.locked_asset, asset),
    ):
        descriptor.field.set_cached_value(row, related)
    return row


def _duplicate_or_raise(exc: IntegrityError) -> Exception:
    if "client_order_id" not in str(exc):
        return exc
    return OrderError(OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID, "Duplicate order sent.")


def do_place_orders(*, user: User, orders: Sequence[ValidatedOrder]) -> list[Order]:
    """Place several orders of one user in one transaction: all are accepted or none.

    One insert for the orders, one journal entry per order, one update per
    touched balance, one pipelined append of the PLACEs after commit.
    """
    locks = [_lock_for(user, order) for order in orders]
    for asset, amount in locks:
        if amount <= 0:
            raise _insufficient(asset)
    rows = [
        _order_row(user, order, asset, amount)
        for order, (asset, amount) in zip(orders, locks, strict=True)
    ]
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
        raise _insufficient(*(asset for asset, _ in locks)) from exc
    except IntegrityError as exc:
        raise _duplicate_or_raise(exc) from exc
    return created


def place_order(*, user: User, **params: object) -> Order:
    """check_place_order then do_place_order: what every API calls."""
    return do_place_order(user=user, order=check_place_order(**params))  # type: ignore[arg-type]


def do_cancel_order(
    *,
    user: User,
    symbol: str | None = None,
    order_id: int | None = None,
    client_order_id: str | None = None,
) -> Order:
    """Ask the engine to cancel an open order; clearing records the outcome.

    Without ``symbol`` the order is looked up among all the user's markets.
    """
    order = access_order(
        user=user, symbol=symbol, order_id=order_id, client_order_id=client_order_id
    )
    if not order.is_open:
        raise OrderError(OrderErrorCode.ORDER_NOT_OPEN, "Unknown order sent.")
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
