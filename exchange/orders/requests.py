"""The typed requests of order entry: what every surface builds from its own dialect.

REST, GraphQL, Binance ``/api/v3`` and FMZ each turn their input into one
``OrderRequest`` (or ``CancelRequest``) and hand it to ``orders.actions``;
the parsing rules and their error codes live here once, so every surface
refuses the same input with the same code. A request is frozen: once built,
nothing downstream re-reads the client's raw values.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TypeVar

from django.db.models import TextChoices

from exchange.core.money import is_multiple_of, parse_decimal
from exchange.markets.filters import check_notional, clean_price, clean_quantity, quote_unit
from exchange.markets.models import Market
from exchange.markets.selectors import get_market_cached
from exchange.orders.errors import OrderError, OrderErrorCode
from exchange.orders.models import (
    LIMIT_PRICED_TYPES,
    STOP_TYPES,
    OrderType,
    ReplaceMode,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9_.:/-]{1,36}$")
# Order types with a time in force of their own; MARKET and stops report GTC as Binance does.
TIME_IN_FORCE_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
NEVER_RESTING_TYPES = frozenset({OrderType.MARKET, OrderType.STOP_LOSS, OrderType.TAKE_PROFIT})

Choice = TypeVar("Choice", bound=TextChoices)


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
            f"{name} is required.",
            fields={name: "required"},
        )


def _forbid(name: str, value: object, why: str) -> None:
    if value not in (None, ""):
        raise OrderError(
            OrderErrorCode.UNEXPECTED_PARAMETER,
            f"{name} {why}.",
            fields={name: "unexpected"},
        )


def _client_order_id(value: object, field: str = "client_order_id") -> str:
    if value in (None, ""):
        return f"x-{secrets.token_hex(15)}"  # 30 random hex digits
    if not isinstance(value, str) or not CLIENT_ORDER_ID.match(value):
        raise OrderError(
            OrderErrorCode.INVALID_CLIENT_ORDER_ID,
            "Client order id must be 1-36 characters of letters, digits and -_.:/",
            fields={field: "invalid"},
        )
    return value


def _quote_order_qty(market: Market, value: object) -> Decimal:
    amount = parse_decimal(value)
    unit = quote_unit(market)
    if amount is None or amount <= 0 or not is_multiple_of(amount, unit):
        raise OrderError(
            OrderErrorCode.INVALID_QUOTE_QTY,
            f"quote_order_qty must be a positive multiple of {unit.normalize():f}.",
            fields={"quote_order_qty": "invalid"},
        )
    check_notional(market, amount)
    return amount


# Binance's TRAILING_DELTA filter, the same on every market (exchangeInfo shows it).
# "Above" applies to the orders whose trigger is above the market (BUY STOP_LOSS*,
# SELL TAKE_PROFIT*), "below" to the others.
TRAILING_DELTA_MIN = 10
TRAILING_DELTA_MAX = 2000


def _trailing_delta(side: Side, type_: OrderType, value: object) -> int:
    """A trailing delta in BIPS within the TRAILING_DELTA filter (Binance's -1013)."""
    text = str(value).strip()
    delta = int(text) if text.isdigit() else 0
    if not TRAILING_DELTA_MIN <= delta <= TRAILING_DELTA_MAX:
        raise OrderError(
            OrderErrorCode.INVALID_TRAILING_DELTA,
            f"trailing_delta must be {TRAILING_DELTA_MIN}..{TRAILING_DELTA_MAX} BIPS"
            f" for a {side} {type_}.",
            fields={"trailing_delta": "invalid"},
        )
    return delta


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order as the client asked for it, parsed and checked against its market's
    filters (tick, step, size and notional). Whether the market trades right now is
    ``actions.check_place_order``'s question, asked at entry."""

    market: Market
    side: Side
    type: OrderType
    time_in_force: str  # a TimeInForce, or "" for types that never rest (LIMIT_MAKER)
    price: Decimal | None
    stop_price: Decimal | None
    trailing_delta: int | None  # BIPS; stop_price is then optional (the activation price)
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    client_order_id: str
    self_trade_prevention: SelfTradePrevention

    @classmethod
    def parse(
        cls,
        *,
        symbol: object,
        side: object,
        type: object,  # noqa: A002 - the API's own name
        quantity: object = None,
        quote_order_qty: object = None,
        price: object = None,
        stop_price: object = None,
        trailing_delta: object = None,
        time_in_force: object = None,
        client_order_id: object = None,
        self_trade_prevention: object = None,
    ) -> OrderRequest:
        """Build the request from a surface's raw values (strings, or Decimals from a
        typed surface); raise the first failure's OrderError or MarketError code.

        The symbol is resolved first, so an unknown market is always the answer
        to an order for one (Binance's -1121 before any other check).
        """
        market = get_market_cached(str(symbol or ""))
        side_v = _choice(Side, side, OrderErrorCode.INVALID_SIDE, "side")
        type_v = _choice(OrderType, type, OrderErrorCode.INVALID_TYPE, "type")
        stp = _choice(
            SelfTradePrevention,
            self_trade_prevention or "NONE",
            OrderErrorCode.INVALID_SELF_TRADE_PREVENTION,
            "self_trade_prevention",
        )
        client_id = _client_order_id(client_order_id)

        tif = ""
        if type_v in TIME_IN_FORCE_TYPES:
            tif = _choice(
                TimeInForce,
                time_in_force or "GTC",
                OrderErrorCode.INVALID_TIME_IN_FORCE,
                "time_in_force",
            )
        elif type_v in NEVER_RESTING_TYPES:
            tif = TimeInForce.GTC

        price_v = None
        if type_v in LIMIT_PRICED_TYPES:
            _require("price", price)
            price_v = clean_price(market, price)
        else:
            _forbid("price", price, "is not allowed for this order type")

        stop_v = trail_v = None
        if type_v in STOP_TYPES:
            if trailing_delta not in (None, ""):
                trail_v = _trailing_delta(side_v, type_v, trailing_delta)
            if trail_v is None or stop_price not in (None, ""):
                _require("stop_price", stop_price)
                stop_v = clean_price(market, stop_price, field="stop_price")
        else:
            _forbid("stop_price", stop_price, "is only for stop-loss and take-profit orders")
            _forbid(
                "trailing_delta", trailing_delta, "is only for stop-loss and take-profit orders"
            )

        qty_v = quote_v = None
        if type_v == OrderType.MARKET and quote_order_qty not in (None, ""):
            _forbid("quantity", quantity, "and quote_order_qty cannot both be sent")
            quote_v = _quote_order_qty(market, quote_order_qty)
        else:
            _forbid("quote_order_qty", quote_order_qty, "is only for MARKET orders")
            _require("quantity", quantity)
            qty_v = clean_quantity(market, quantity)
            if price_v is not None:
                check_notional(market, price_v * qty_v)

        return cls(
            market=market,
            side=side_v,
            type=type_v,
            time_in_force=tif,
            price=price_v,
            stop_price=stop_v,
            trailing_delta=trail_v,
            quantity=qty_v,
            quote_order_qty=quote_v,
            client_order_id=client_id,
            self_trade_prevention=stp,
        )


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """Which order to cancel: by id or client order id, optionally within one market."""

    symbol: str | None
    order_id: int | None
    client_order_id: str | None

    @classmethod
    def parse(
        cls,
        *,
        symbol: object = None,
        order_id: object = None,
        client_order_id: object = None,
    ) -> CancelRequest:
        """Build the request; MISSING_PARAMETER without an id, ORDER_NOT_FOUND for an id
        that no order can have (not a positive integer)."""
        if order_id in (None, "") and client_order_id in (None, ""):
            raise OrderError(
                OrderErrorCode.MISSING_PARAMETER,
                "Either order_id or client_order_id must be sent.",
                fields={"order_id": "required"},
            )
        pk = None
        if order_id not in (None, ""):
            if type(order_id) is not int or order_id <= 0:
                raise OrderError(OrderErrorCode.ORDER_NOT_FOUND, "Order does not exist.")
            pk = order_id
        return cls(
            symbol=str(symbol) if symbol not in (None, "") else None,
            order_id=pk,
            client_order_id=str(client_order_id) if client_order_id not in (None, "") else None,
        )


@dataclass(frozen=True, slots=True)
class ReplaceRequest:
    """Cancel one order and place another in its market, in one engine step."""

    cancel: CancelRequest
    order: OrderRequest
    mode: ReplaceMode

    @classmethod
    def parse(cls, *, cancel: CancelRequest, order: OrderRequest, mode: object) -> ReplaceRequest:
        """``mode`` is required (Binance's cancelReplaceMode has no default)."""
        _require("mode", mode)
        mode_v = _choice(ReplaceMode, mode, OrderErrorCode.INVALID_REPLACE_MODE, "mode")
        # The engine's REPLACE carries no trailing delta (ADR 0048): refused, not dropped.
        _forbid("trailing_delta", order.trailing_delta, "is not supported by cancel-replace")
        return cls(cancel=cancel, order=order, mode=mode_v)


@dataclass(frozen=True, slots=True)
class AmendRequest:
    """Reduce an open order's quantity, keeping its queue place (amend keep priority)."""

    market: Market
    order_id: int | None
    client_order_id: str | None
    new_qty: Decimal
    new_client_order_id: str

    @classmethod
    def parse(
        cls,
        *,
        symbol: object,
        new_qty: object,
        order_id: object = None,
        client_order_id: object = None,
        new_client_order_id: object = None,
    ) -> AmendRequest:
        """Binance's rules: ``newQty`` a valid quantity of the market (its step), an
        order named by id or client id; without ``newClientOrderId`` a new one is made."""
        _require("symbol", symbol)
        _require("new_qty", new_qty)
        market = get_market_cached(str(symbol))
        which = CancelRequest.parse(
            symbol=market.symbol, order_id=order_id, client_order_id=client_order_id
        )
        return cls(
            market=market,
            order_id=which.order_id,
            client_order_id=which.client_order_id,
            new_qty=clean_quantity(market, new_qty, field="new_qty"),
            new_client_order_id=_client_order_id(new_client_order_id, "new_client_order_id"),
        )
