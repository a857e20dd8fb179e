"""Typed futures requests: what every surface (``/fapi``, the web page) builds and hands
to ``futures.services``. Parsing rules and their error codes live here once, in the
style of ``exchange.orders.requests``; a request is frozen once built.

Stop types (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET) and closePosition are
refused as INVALID_ORDER until the engine has them: ``FuturesOrderRequest.stop_price``
and ``working_type`` are the hooks they will fill.
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
    Contract,
    FuturesOrderType,
    FuturesTimeInForce,
    OrderSide,
    TransferDirection,
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
    stop_price: Decimal | None = None  # hook: STOP / TAKE_PROFIT
    working_type: str = "CONTRACT_PRICE"  # hook: MARK_PRICE or CONTRACT_PRICE

    @classmethod
    def parse(
        cls,
        *,
        symbol: object,
        side: object,
        type: object,  # noqa: A002 - the field's name on every surface
        quantity: object,
        price: object = None,
        time_in_force: object = None,
        reduce_only: bool = False,
        client_order_id: object = None,
    ) -> FuturesOrderRequest:
        contract = get_contract(str(symbol or ""))
        order_side = _choice(OrderSide, side, "side")
        order_type = _choice(FuturesOrderType, type, "type")
        qty = _positive(quantity, "quantity", FuturesErrorCode.INVALID_QUANTITY)
        if not is_multiple_of(qty, contract.step_size):
            raise FuturesError(
                FuturesErrorCode.QUANTITY_STEP,
                f"Quantity must be a multiple of {contract.step_size}.",
                fields={"quantity": "step"},
            )
        limit: Decimal | None = None
        if order_type == FuturesOrderType.LIMIT:
            tif = _choice(FuturesTimeInForce, time_in_force or "GTC", "timeInForce")
            limit = _positive(price, "price", FuturesErrorCode.INVALID_PRICE)
            if not is_multiple_of(limit, contract.tick_size):
                raise FuturesError(
                    FuturesErrorCode.PRICE_TICK,
                    f"Price must be a multiple of {contract.tick_size}.",
                    fields={"price": "tick"},
                )
        else:
            if price not in (None, ""):
                raise FuturesError(
                    FuturesErrorCode.INVALID_ORDER,
                    "A MARKET order takes no price.",
                    fields={"price": "unexpected"},
                )
            tif = FuturesTimeInForce.IOC
        return cls(
            contract=contract,
            side=order_side,
            type=order_type,
            time_in_force=tif,
            quantity=qty,
            price=limit,
            reduce_only=bool(reduce_only),
            client_order_id=_client_id(client_order_id, "clientOrderId"),
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
            direction=_choice(TransferDirection, direction, "type"),
            client_request_id=_client_id(client_request_id, "clientTranId"),
        )
