"""Futures domain errors as Binance USDⓈ-M ``{"code", "msg"}`` bodies.

Codes and messages are Binance's futures ones. ccxt maps the futures-only codes
(-2019, -2022, -4164, -5022) to their classes only for URLs on ``fapi.binance.com``;
on our host it matches the messages it knows and the shared codes (docs/bots.md,
"Futures"). Errors that are not futures-specific (signature, key, rate limit) go
through the spot table unchanged.
"""

from __future__ import annotations

from enum import StrEnum

from api.compat.binance.errors import BinanceError, bad_symbol
from api.compat.binance.errors import from_domain as spot_from_domain
from api.compat.binance_futures.names import PARAMETERS
from api.compat.wording import message, parameter
from exchange.core.errors import DomainError
from exchange.futures.errors import FuturesErrorCode

UNKNOWN_ORDER_ON_CANCEL = BinanceError(-2011, "Unknown order sent.")
UNKNOWN_ORDER = BinanceError(-2013, "Order does not exist.")
NO_NEED_TO_CHANGE_POSITION_SIDE = BinanceError(-4059, "No need to change position side.")
POSITION_SIDE_MISMATCH = BinanceError(-4061, "Order's position side does not match user's setting.")
INSUFFICIENT_MARGIN = BinanceError(-2019, "Margin is insufficient.")
REDUCE_ONLY_REJECTED = BinanceError(-2022, "ReduceOnly Order is rejected.")


def invalid_value(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


_BY_CODE: dict[StrEnum, tuple[int, str | None]] = {
    FuturesErrorCode.UNKNOWN_CONTRACT: (-1121, "Invalid symbol."),
    FuturesErrorCode.INVALID_CONTRACT: (-1121, "Invalid symbol."),
    FuturesErrorCode.CONTRACT_NOT_TRADING: (-4140, "Invalid symbol status for opening position."),
    FuturesErrorCode.MARK_PRICE_STALE: (-4140, "Invalid symbol status for opening position."),
    FuturesErrorCode.INVALID_ORDER: (-1100, None),
    FuturesErrorCode.INVALID_PRICE: (-1100, "Illegal characters found in parameter 'price'."),
    FuturesErrorCode.PRICE_TICK: (-4014, "Price not increased by tick size."),
    # PERCENT_PRICE: the domain message names the bound as Binance's does.
    FuturesErrorCode.PRICE_ABOVE_BAND: (-4016, None),
    FuturesErrorCode.PRICE_BELOW_BAND: (-4024, None),
    FuturesErrorCode.INVALID_QUANTITY: (
        -1100,
        "Illegal characters found in parameter 'quantity'.",
    ),
    FuturesErrorCode.QUANTITY_STEP: (
        -1111,
        "Precision is over the maximum defined for this asset.",
    ),
    FuturesErrorCode.INVALID_AMOUNT: (-1100, None),
    FuturesErrorCode.INVALID_LEVERAGE: (-4028, None),
    FuturesErrorCode.INSUFFICIENT_BALANCE: (-2019, "Margin is insufficient."),
    FuturesErrorCode.UNKNOWN_ORDER: (-2013, "Order does not exist."),
    FuturesErrorCode.INVALID_BATCH: (-1130, "Data sent for parameter 'batchOrders' is not valid."),
    FuturesErrorCode.INVALID_COUNTDOWN: (
        -1130,
        "Data sent for parameter 'countdownTime' is not valid.",
    ),
    FuturesErrorCode.NOT_MODIFIABLE: (-1116, "Invalid orderType."),
    FuturesErrorCode.NO_CHANGE: (-5027, "No need to modify the order."),
    FuturesErrorCode.AMENDMENT_PENDING: (
        -1008,
        "The order's previous modification is still being processed; try again.",
    ),
    FuturesErrorCode.MARGIN_TYPE_UNCHANGED: (-4046, "No need to change margin type."),
    FuturesErrorCode.MARGIN_TYPE_HAS_ORDERS: (
        -4047,
        "Margin type cannot be changed if there exists open orders.",
    ),
    FuturesErrorCode.MARGIN_TYPE_HAS_POSITION: (
        -4048,
        "Margin type cannot be changed if there exists position.",
    ),
    FuturesErrorCode.NOT_ISOLATED: (-4049, "Add margin only support for isolated position."),
    FuturesErrorCode.NO_POSITION: (-4054, "Cannot add position margin: position is 0."),
    FuturesErrorCode.MARGIN_CHANGE_PENDING: (
        -1008,
        "The position's previous margin change is still being processed; try again.",
    ),
    FuturesErrorCode.STATUS_UNKNOWN: (
        -1007,
        "Timeout waiting for response from backend server. "
        "Send status unknown; execution status unknown.",
    ),
    FuturesErrorCode.ENGINE_UNAVAILABLE: (
        -1001,
        "Internal error; unable to process your request. Please try again.",
    ),
}

# An INVALID_ORDER naming one of these parameters has Binance's own code for it.
_BY_FIELD: dict[str, BinanceError] = {
    "side": BinanceError(-1117, "Invalid side."),
    "type": BinanceError(-1116, "Invalid orderType."),
    "timeInForce": BinanceError(-1115, "Invalid timeInForce."),
    "closePosition": BinanceError(-1106, "Parameter 'closePosition' sent when not required."),
    "callbackRate": invalid_value("callbackRate"),
    "activationPrice": BinanceError(-4135, "Invalid activation price."),
}


def from_domain(exc: DomainError, *, cancelling: bool = False) -> BinanceError:
    """Binance's futures code for a domain error; other domains use the spot table."""
    if exc.code == FuturesErrorCode.UNKNOWN_ORDER and cancelling:
        return UNKNOWN_ORDER_ON_CANCEL
    if exc.code == FuturesErrorCode.UNKNOWN_CONTRACT:
        return bad_symbol()
    name = parameter(PARAMETERS, next(iter(exc.fields))) if len(exc.fields) == 1 else None
    named = _BY_FIELD.get(name) if name is not None else None
    if exc.code == FuturesErrorCode.INVALID_ORDER and named is not None:
        return named
    found = _BY_CODE.get(exc.code)
    if found is None:
        return spot_from_domain(exc, cancelling=cancelling)
    code, msg = found
    if code == -1100 and name is not None:
        msg = f"Illegal characters found in parameter '{name}'."
    return BinanceError(code, msg or message(PARAMETERS, exc))


# The engine's reasons for refusing a PLACE (FuturesOrder.reject_reason), in Binance's terms.
_REJECTIONS: dict[str, BinanceError] = {
    "INSUFFICIENT_MARGIN": INSUFFICIENT_MARGIN,
    "REDUCE_ONLY_WOULD_INCREASE": REDUCE_ONLY_REJECTED,
    "REDUCE_ONLY": REDUCE_ONLY_REJECTED,
    "LEVERAGE_TOO_HIGH": BinanceError(
        -2027, "Exceeded the maximum allowable position at current leverage."
    ),
    "BELOW_MIN_NOTIONAL": BinanceError(
        -4164,
        "Order's notional must be no smaller than the minimum (unless you choose reduce only).",
    ),
    "POST_ONLY_WOULD_TAKE": BinanceError(
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected.",
    ),
    "NO_MARK_PRICE": BinanceError(-4131, "The contract has no mark price yet."),
    "STOP_WOULD_TRIGGER": BinanceError(-2021, "Order would immediately trigger."),
    "NO_WORKING_PRICE": BinanceError(-4135, "Invalid activation price."),
    "CONTRACT_HALTED": BinanceError(-4140, "Invalid symbol status for opening position."),
}


def from_rejection(reason: str) -> BinanceError:
    """The error for an order the engine refused."""
    return _REJECTIONS.get(reason, BinanceError(-2010, f"Order was rejected: {reason}."))
