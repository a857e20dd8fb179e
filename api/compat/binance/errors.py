"""The one place where domain error codes become Binance ``{"code", "msg"}`` bodies.

Codes and messages are the ones ccxt and python-binance map to exception
classes (see docs/bots.md): -1021 stale timestamp, -1022 bad signature,
-2010 with its two special messages, -2011/-2013 unknown order, -2014/-2015
key problems, -1003 rate limit. Always an HTTP 4xx: python-binance raises
only on non-2xx answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.compat.binance.names import PARAMETERS
from api.compat.wording import message, parameter
from exchange.accounts.errors import ApiKeyErrorCode, ListenKeyErrorCode
from exchange.core.errors import DomainError
from exchange.core.pagination import PageErrorCode
from exchange.marketdata.errors import MarketDataErrorCode
from exchange.markets.errors import MarketErrorCode
from exchange.orders.errors import OrderErrorCode

INSUFFICIENT_BALANCE_MSG = "Account has insufficient balance for requested action."
WOULD_TAKE_MSG = "Order would immediately match and take."


@dataclass(frozen=True)
class BinanceError(Exception):
    """An error already in Binance's terms (raised by the adapter's own parsing)."""

    code: int
    msg: str
    status: int = 400
    data: dict[str, object] | None = None  # cancelReplace's detail of each half

    def body(self) -> dict[str, object]:
        if self.data is not None:
            return {"code": self.code, "msg": self.msg, "data": self.data}
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str) -> BinanceError:
    return BinanceError(-1100, f"Illegal characters found in parameter '{name}'.")


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


API_KEY_REJECTED = BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
API_KEY_MISSING = BinanceError(-2014, "API-key format invalid.", 401)
TOO_MANY_REQUESTS = BinanceError(
    -1003, "Too much request weight used; please use WebSocket Streams for live updates.", 429
)
BANNED = BinanceError(-1003, "Way too much request weight used; IP banned.", 418)
UNKNOWN_ORDER_ON_CANCEL = BinanceError(-2011, "Unknown order sent.")

# None as the message: the domain error's own message is passed on.
_BY_CODE: dict[StrEnum, tuple[int, str | None, int]] = {
    ApiKeyErrorCode.UNKNOWN_KEY: (-2015, "Invalid API-key, IP, or permissions for action.", 401),
    ApiKeyErrorCode.IP_NOT_ALLOWED: (-2015, "Invalid API-key, IP, or permissions for action.", 401),
    ApiKeyErrorCode.PERMISSION_DENIED: (
        -2015,
        "Invalid API-key, IP, or permissions for action.",
        401,
    ),
    ApiKeyErrorCode.SIGNATURE_MISSING: (
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        400,
    ),
    ApiKeyErrorCode.SIGNATURE_INVALID: (-1022, "Signature for this request is not valid.", 400),
    ApiKeyErrorCode.TIMESTAMP_MISSING: (
        -1102,
        "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        400,
    ),
    ApiKeyErrorCode.RECV_WINDOW_INVALID: (-1131, "recvWindow must be less than 60000", 400),
    ApiKeyErrorCode.TIMESTAMP_OUTSIDE_RECV_WINDOW: (
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
        400,
    ),
    MarketErrorCode.UNKNOWN_SYMBOL: (-1121, "Invalid symbol.", 400),
    MarketErrorCode.INVALID_MARKET: (-1121, "Invalid symbol.", 400),
    MarketErrorCode.MARKET_NOT_TRADING: (-2010, "Market is closed.", 400),
    MarketErrorCode.INVALID_PRICE: (-1100, "Illegal characters found in parameter 'price'.", 400),
    MarketErrorCode.INVALID_QUANTITY: (
        -1100,
        "Illegal characters found in parameter 'quantity'.",
        400,
    ),
    MarketErrorCode.PRICE_TICK: (-1013, "Filter failure: PRICE_FILTER", 400),
    MarketErrorCode.QUANTITY_STEP: (-1013, "Filter failure: LOT_SIZE", 400),
    MarketErrorCode.QUANTITY_TOO_SMALL: (-1013, "Filter failure: LOT_SIZE", 400),
    MarketErrorCode.QUANTITY_TOO_LARGE: (-1013, "Filter failure: LOT_SIZE", 400),
    MarketErrorCode.NOTIONAL_TOO_SMALL: (-1013, "Filter failure: NOTIONAL", 400),
    MarketErrorCode.NOTIONAL_TOO_LARGE: (-1013, "Filter failure: NOTIONAL", 400),
    MarketDataErrorCode.INVALID_INTERVAL: (-1120, "Invalid interval.", 400),
    OrderErrorCode.INVALID_SIDE: (-1117, "Invalid side.", 400),
    OrderErrorCode.INVALID_TYPE: (-1116, "Invalid orderType.", 400),
    OrderErrorCode.INVALID_TIME_IN_FORCE: (-1115, "Invalid timeInForce.", 400),
    OrderErrorCode.INVALID_SELF_TRADE_PREVENTION: (
        -1100,
        "Illegal characters found in parameter 'selfTradePreventionMode'.",
        400,
    ),
    OrderErrorCode.MISSING_PARAMETER: (-1102, None, 400),
    OrderErrorCode.UNEXPECTED_PARAMETER: (-1106, None, 400),
    OrderErrorCode.INVALID_CLIENT_ORDER_ID: (
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'.",
        400,
    ),
    OrderErrorCode.DUPLICATE_CLIENT_ORDER_ID: (-2010, "Duplicate order sent.", 400),
    OrderErrorCode.INVALID_QUOTE_QTY: (-1013, "Filter failure: NOTIONAL", 400),
    OrderErrorCode.INSUFFICIENT_BALANCE: (-2010, INSUFFICIENT_BALANCE_MSG, 400),
    OrderErrorCode.ORDER_NOT_FOUND: (-2013, "Order does not exist.", 400),
    OrderErrorCode.ORDER_NOT_OPEN: (-2011, "Unknown order sent.", 400),
    OrderErrorCode.INVALID_FILTER: (-1100, None, 400),
    OrderErrorCode.INVALID_TRAILING_DELTA: (-1013, "Filter failure: TRAILING_DELTA", 400),
    OrderErrorCode.INVALID_REPLACE_MODE: (
        -1100,
        "Illegal characters found in parameter 'cancelReplaceMode'.",
        400,
    ),
    OrderErrorCode.AMEND_NOT_REDUCING: (-2038, "Order amend keep priority failed.", 400),
    OrderErrorCode.AMEND_BELOW_FILLED: (-2038, "Order amend keep priority failed.", 400),
    OrderErrorCode.NOT_AMENDABLE: (-2038, "Order amend keep priority failed.", 400),
    OrderErrorCode.AMENDMENT_PENDING: (
        -1008,
        "The order's previous amendment is still being processed; try again.",
        409,
    ),
    OrderErrorCode.ENGINE_UNAVAILABLE: (
        -1007,
        "Timeout waiting for response from backend server. "
        "Send status unknown; execution status unknown.",
        503,
    ),
    OrderErrorCode.INVALID_LIST_TYPE: (-1116, "Invalid orderType.", 400),
    OrderErrorCode.INVALID_LIST_PRICES: (
        -2010,
        "The relationship of the prices for the orders is not correct.",
        400,
    ),
    OrderErrorCode.ORDER_LIST_NOT_FOUND: (-2011, "Order list does not exist.", 400),
    OrderErrorCode.ORDER_IN_LIST: (-2011, "Unknown order sent.", 400),
    PageErrorCode.INVALID_LIMIT: (-1100, "Illegal characters found in parameter 'limit'.", 400),
    ListenKeyErrorCode.UNKNOWN_LISTEN_KEY: (-1125, "This listenKey does not exist.", 400),
    ListenKeyErrorCode.FOREIGN_LISTEN_KEY: (-1125, "This listenKey does not exist.", 400),
    ListenKeyErrorCode.API_KEY_INACTIVE: (
        -2015,
        "Invalid API-key, IP, or permissions for action.",
        401,
    ),
}

# The engine's reasons for rejecting a PLACE (Order.reject_reason), as Binance words them.
_REJECTIONS: dict[str, str] = {
    "POST_ONLY_WOULD_TAKE": WOULD_TAKE_MSG,
    "STOP_WOULD_TRIGGER": "Stop price would trigger immediately.",
    "TRAILING_WITHOUT_PRICE": "No trade price yet for a trailing stop without stopPrice.",
    "MARKET_HALTED": "Market is closed.",
    "INSUFFICIENT_LOCK": INSUFFICIENT_BALANCE_MSG,
}


def from_domain(exc: DomainError, *, cancelling: bool = False) -> BinanceError:
    """Binance's code and message for a domain error; unknown codes are -1000."""
    if cancelling and exc.code == OrderErrorCode.ORDER_NOT_FOUND:
        return UNKNOWN_ORDER_ON_CANCEL
    code, msg, status = _BY_CODE.get(exc.code, (-1000, None, 400))
    if len(exc.fields) == 1:
        # the parameter the domain names (stop_price, not price), under Binance's name
        name = parameter(PARAMETERS, next(iter(exc.fields)))
        if code == -1100:
            msg = f"Illegal characters found in parameter '{name}'."
        elif code == -1102:
            msg = f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    return BinanceError(code, msg or message(PARAMETERS, exc), status)


def from_rejection(reason: str) -> BinanceError:
    """The -2010 error for an order the engine rejected."""
    return BinanceError(-2010, _REJECTIONS.get(reason, f"Order was rejected: {reason}."))
