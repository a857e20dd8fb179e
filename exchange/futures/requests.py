"""Typed futures requests: what every surface (``/fapi``, the web page) builds and hands
to ``futures.services``. Parsing rules and their error codes live here once, in the
style of ``exchange.orders.requests``; a request is frozen once built.

Conditional types follow Binance USDⓈ-M: STOP and TAKE_PROFIT take ``price`` and
``stop_price`` (a limit order once triggered), STOP_MARKET and TAKE_PROFIT_MARKET take
``stop_price`` only; ``working_type`` says which price triggers (last trade or mark);
``close_position`` (the *_MARKET types only, no quantity, not reduce-only) closes
whatever position is open when it fires.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db.models import TextChoices

from exchange.core.money import is_multiple_of, parse_decimal
from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.models import (
    CONDITIONAL_TYPES,
    PRICED_TYPES,
    Contract,
    FuturesOrderType,
    FuturesTimeInForce,
    MarginType,
    OrderSide,
    TransferDirection,
    WorkingType,
)
from exchange.futures.selectors import get_contract

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:/-]{1,36}$")


def _client_id(value: object, field: str) -> str:
    if value in (None, ""):
        return f"x-{secrets.token_hex(15)}"
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise FuturesError(
            FuturesErrorCode.INVALID_ORDER, f"Invalid {field}.", fields={field: "invalid"}
        )
    return value


Choice = TypeVar("Choice", bound=TextChoices)


def _choice(enum: type[Choice], value: object, field: str) -> Choice:
    for member in enum:
        if member.value == str(value or "").upper():
            return member
    raise FuturesError(
        FuturesErrorCode.INVALID_ORDER, f"Invalid {field} {value!r}.", fields={field: "invalid"}
    )


def _positive(value: object, field: str, code: FuturesErrorCode) -> Decimal:
    amount = parse_decimal(value)
    if amount is None or amount <= 0:
        raise FuturesError(code, f"Invalid {field} {value!r}.", fields={field: "invalid"})
    return amount


def _forbid(value: object, field: str, why: str) -> None:
    if value not in (None, ""):
        raise FuturesError(
            FuturesErrorCode.INVALID_ORDER, f"No {field}: {why}.", fields={field: "unexpected"}
        )


def _ticked(contract: Contract, price: Decimal) -> Decimal:
    if not is_multiple_of(price, contract.tick_size):
        raise FuturesError(
            FuturesErrorCode.PRICE_TICK,
            f"Price must be a multiple of {contract.tick_size}.",
            fields={"price": "tick"},
        )
    return price


CALLBACK_RATE_MIN = Decimal("0.1")
CALLBACK_RATE_MAX = Decimal("10")
CALLBACK_RATE_STEP = Decimal("0.01")  # the engine's unit


def _callback_rate(value: object) -> Decimal:
    """Binance's callbackRate: a percentage from 0.1 to 10."""
    rate = parse_decimal(value)
    if (
        rate is None
        or not CALLBACK_RATE_MIN <= rate <= CALLBACK_RATE_MAX
        or not is_multiple_of(rate, CALLBACK_RATE_STEP)
    ):
        raise FuturesError(
            FuturesErrorCode.INVALID_ORDER,
            f"callback_rate must be {CALLBACK_RATE_MIN}..{CALLBACK_RATE_MAX} (%).",
            fields={"callback_rate": "invalid"},
        )
    return rate


CLOSE_POSITION_TYPES = frozenset(
    {FuturesOrderType.STOP_MARKET, FuturesOrderType.TAKE_PROFIT_MARKET}
)


@dataclass(frozen=True, slots=True)
class FuturesOrderRequest:
    contract: Contract
    side: OrderSide
    type: FuturesOrderType
    time_in_force: FuturesTimeInForce
    quantity: Decimal
    price: Decimal | None
    reduce_only: bool
    client_order_id: str
    stop_price: Decimal | None = None
    working_type: WorkingType = WorkingType.CONTRACT_PRICE
    close_position: bool = False
    activation_price: Decimal | None = None
    callback_rate: Decimal | None = None  # percent, 0.1 .. 10 in steps of 0.01

    @classmethod
    def parse(
        cls,
        *,
        symbol: object,
        side: object,
        type: object,  # noqa: A002 - the field's name on every surface
        quantity: object = None,
        price: object = None,
        time_in_force: object = None,
        reduce_only: bool = False,
        client_order_id: object = None,
        stop_price: object = None,
        working_type: object = None,
        close_position: bool = False,
        activation_price: object = None,
        callback_rate: object = None,
    ) -> FuturesOrderRequest:
        contract = get_contract(str(symbol or ""))
        order_side = _choice(OrderSide, side, "side")
        order_type = _choice(FuturesOrderType, type, "type")
        conditional = order_type in CONDITIONAL_TYPES
        if close_position:
            if order_type not in CLOSE_POSITION_TYPES or reduce_only:
                raise FuturesError(
                    FuturesErrorCode.INVALID_ORDER,
                    "close_position goes with STOP_MARKET or TAKE_PROFIT_MARKET, not reduce_only.",
                    fields={"close_position": "invalid"},
                )
            _forbid(quantity, "quantity", "close_position closes the whole position")
            qty = Decimal(0)
        else:
            qty = _positive(quantity, "quantity", FuturesErrorCode.INVALID_QUANTITY)
            if not is_multiple_of(qty, contract.step_size):
                raise FuturesError(
                    FuturesErrorCode.QUANTITY_STEP,
                    f"Quantity must be a multiple of {contract.step_size}.",
                    fields={"quantity": "step"},
                )
        limit: Decimal | None = None
        if order_type in PRICED_TYPES:
            tif = _choice(FuturesTimeInForce, time_in_force or "GTC", "time_in_force")
            if conditional and tif == FuturesTimeInForce.GTX:
                raise FuturesError(
                    FuturesErrorCode.INVALID_ORDER,
                    "A conditional order cannot be post-only.",
                    fields={"time_in_force": "invalid"},
                )
            limit = _ticked(contract, _positive(price, "price", FuturesErrorCode.INVALID_PRICE))
        else:
            _forbid(price, "price", f"a {order_type} order takes no price")
            tif = (
                FuturesTimeInForce.IOC
                if order_type == FuturesOrderType.MARKET
                else (FuturesTimeInForce.GTC)
            )
        stop: Decimal | None = None
        working = WorkingType.CONTRACT_PRICE
        activation = rate = None
        if order_type == FuturesOrderType.TRAILING_STOP_MARKET:
            _forbid(stop_price, "stop_price", "a trailing stop takes activation_price")
            rate = _callback_rate(callback_rate)
            if activation_price not in (None, ""):
                activation = _ticked(
                    contract,
                    _positive(activation_price, "activation_price", FuturesErrorCode.INVALID_PRICE),
                )
            working = _choice(WorkingType, working_type or "CONTRACT_PRICE", "working_type")
        elif conditional:
            stop = _ticked(
                contract, _positive(stop_price, "stop_price", FuturesErrorCode.INVALID_PRICE)
            )
            working = _choice(WorkingType, working_type or "CONTRACT_PRICE", "working_type")
        else:
            _forbid(stop_price, "stop_price", f"a {order_type} order has no trigger")
        if rate is None:
            _forbid(callback_rate, "callback_rate", "only TRAILING_STOP_MARKET trails")
            _forbid(activation_price, "activation_price", "only TRAILING_STOP_MARKET trails")
        return cls(
            contract=contract,
            side=order_side,
            type=order_type,
            time_in_force=tif,
            quantity=qty,
            price=limit,
            reduce_only=bool(reduce_only),
            client_order_id=_client_id(client_order_id, "client_order_id"),
            stop_price=stop,
            working_type=working,
            close_position=bool(close_position),
            activation_price=activation,
            callback_rate=rate,
        )


@dataclass(frozen=True, slots=True)
class FuturesModifyRequest:
    """A new price and original quantity for a resting limit order (PUT /fapi/v1/order)."""

    contract: Contract
    side: OrderSide
    price: Decimal
    quantity: Decimal

    @classmethod
    def parse(
        cls, *, symbol: object, side: object, price: object, quantity: object
    ) -> FuturesModifyRequest:
        contract = get_contract(str(symbol or ""))
        qty = _positive(quantity, "quantity", FuturesErrorCode.INVALID_QUANTITY)
        if not is_multiple_of(qty, contract.step_size):
            raise FuturesError(
                FuturesErrorCode.QUANTITY_STEP,
                f"Quantity must be a multiple of {contract.step_size}.",
                fields={"quantity": "step"},
            )
        return cls(
            contract=contract,
            side=_choice(OrderSide, side, "side"),
            price=_ticked(contract, _positive(price, "price", FuturesErrorCode.INVALID_PRICE)),
            quantity=qty,
        )


@dataclass(frozen=True, slots=True)
class LeverageRequest:
    contract: Contract
    leverage: int

    @classmethod
    def parse(cls, *, symbol: object, leverage: object) -> LeverageRequest:
        contract = get_contract(str(symbol or ""))
        if not isinstance(leverage, int) or isinstance(leverage, bool):
            text = str(leverage or "")
            if not text.isascii() or not text.isdigit():
                raise FuturesError(
                    FuturesErrorCode.INVALID_LEVERAGE,
                    "Leverage must be a whole number.",
                    fields={"leverage": "invalid"},
                )
            leverage = int(text)
        top = max((b.max_leverage for b in contract.brackets.all()), default=0)
        if not 1 <= leverage <= top:
            raise FuturesError(
                FuturesErrorCode.INVALID_LEVERAGE,
                f"Leverage must be between 1 and {top}.",
                fields={"leverage": "range"},
            )
        return cls(contract=contract, leverage=leverage)


@dataclass(frozen=True, slots=True)
class MarginTypeRequest:
    contract: Contract
    margin_type: MarginType

    @classmethod
    def parse(cls, *, symbol: object, margin_type: object) -> MarginTypeRequest:
        value = str(margin_type or "").upper()
        value = {"CROSS": "CROSSED"}.get(value, value)
        return cls(
            contract=get_contract(str(symbol or "")),
            margin_type=_choice(MarginType, value, "margin_type"),
        )


@dataclass(frozen=True, slots=True)
class IsolatedMarginRequest:
    """Add (> 0) or take back (< 0) margin of an isolated position."""

    contract: Contract
    amount: Decimal

    @classmethod
    def parse(cls, *, symbol: object, amount: object, add: bool) -> IsolatedMarginRequest:
        positive = _positive(amount, "amount", FuturesErrorCode.INVALID_AMOUNT)
        return cls(contract=get_contract(str(symbol or "")), amount=positive if add else -positive)


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """Move ``amount`` of a margin asset between the spot wallet and the futures account."""

    asset_code: str
    amount: Decimal
    direction: TransferDirection
    client_request_id: str

    @classmethod
    def parse(
        cls, *, asset: object, amount: object, direction: object, client_request_id: object = None
    ) -> TransferRequest:
        return cls(
            asset_code=str(asset or "").upper(),
            amount=_positive(amount, "amount", FuturesErrorCode.INVALID_AMOUNT),
            direction=_choice(TransferDirection, direction, "direction"),
            client_request_id=_client_id(client_request_id, "client_request_id"),
        )
