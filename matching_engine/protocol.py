"""Wire protocol v1 of the matching cluster (docs/matching-protocol.md is the contract).

Commands and output entries are msgpack arrays whose element 0 is the protocol version
`v`. Everything is an integer: prices in ticks, quantities in lots, quote amounts in
tick*lot units (notional = price_ticks * qty_lots). This module is the single source of
truth for codes and layouts; `matching_client` builds on it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import msgpack

# Final: the compiled core inlines them instead of reading a module global each time.
VERSION: Final = 1

# Every integer on the wire fits a signed 64-bit msgpack int.
MAX_INT: Final = (1 << 63) - 1

# Stream entry field that carries the msgpack blob, in both directions.
FIELD = b"d"

DEFAULT_DEDUPE_WINDOW: Final = 1_000_000


class CommandType(IntEnum):
    PLACE = 1
    CANCEL = 2
    CANCEL_ALL = 3
    MARKET_CREATE = 4
    HALT = 5
    RESUME = 6
    SNAPSHOT = 7
    REPLACE = 8  # cancel one order and place another in the same step
    AMEND = 9  # lower a resting order's quantity in place, keeping its queue position
    PLACE_LIST = 10  # two linked orders (OCO): one lock, the first leg to act cancels the other


class ReplaceMode(IntEnum):
    """What REPLACE does when its cancel fails (Binance's cancelReplaceMode)."""

    STOP_ON_FAILURE = 0  # the new order is refused with the cancel's result code
    ALLOW_FAILURE = 1  # the new order is placed anyway


class Side(IntEnum):
    BUY = 0
    SELL = 1


class OrderType(IntEnum):
    LIMIT = 0
    LIMIT_MAKER = 1
    MARKET = 2
    STOP_LOSS = 3
    STOP_LOSS_LIMIT = 4
    TAKE_PROFIT = 5
    TAKE_PROFIT_LIMIT = 6


class TimeInForce(IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2


class SelfTradePrevention(IntEnum):
    NONE = 0
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3


class MarketStatus(IntEnum):
    UNKNOWN = 0
    TRADING = 1
    HALTED = 2


class ResultCode(IntEnum):
    """Outcome of one input entry; grouped by subsystem like exchange-core's codes."""

    OK = 0
    DUPLICATE = 1  # PLACE of an order id already seen: nothing changed, ignore
    # decoding
    MALFORMED = 10
    UNSUPPORTED_VERSION = 11
    UNKNOWN_COMMAND = 12
    # market
    MARKET_UNKNOWN = 20
    MARKET_HALTED = 21
    MARKET_EXISTS = 22
    SYMBOL_MISMATCH = 23
    INVALID_DEDUPE_WINDOW = 24
    INVALID_STATUS = 25
    # order validation
    INVALID_ORDER_ID = 30
    INVALID_USER_ID = 31
    INVALID_SIDE = 32
    INVALID_TYPE = 33
    INVALID_TIME_IN_FORCE = 34
    INVALID_PRICE = 35
    INVALID_QUANTITY = 36
    INVALID_STOP_PRICE = 37
    INVALID_STP = 38
    INSUFFICIENT_LOCK = 39
    # matching
    POST_ONLY_WOULD_TAKE = 40
    STOP_WOULD_TRIGGER = 41
    ORDER_ID_TOO_OLD = 42
    # amend (keep priority)
    AMEND_NOT_REDUCING = 43  # the new quantity is not below the original quantity
    AMEND_BELOW_FILLED = 44  # the new quantity does not exceed what already filled
    AMEND_NOT_RESTING = 45  # a pending stop order has no queue place to keep
    # cancel
    UNKNOWN_ORDER = 50
    USER_MISMATCH = 51
    # trailing stops (ADR 0048)
    INVALID_TRAILING_DELTA = 56  # not 1..9999 BIPS, or on a type that is not a stop
    TRAILING_WITHOUT_PRICE = 57  # no stop (activation) price and no trade yet to trail
    # order lists (PLACE_LIST)
    INVALID_LIST = 52  # the legs are not a pair: same id, other sides, or a type that can take


class EventType(IntEnum):
    TRADE = 1
    DONE = 2
    STOP_TRIGGERED = 3
    SNAPSHOT = 4


class DoneReason(IntEnum):
    FILLED = 0
    CANCELED = 1
    EXPIRED = 2  # IOC/FOK/market remainder: nothing (more) to match within its price
    STP_EXPIRED = 3  # self-trade prevention expired it
    LOCK_EXHAUSTED = 4  # the locked funds could not pay for one more lot


def _pack(obj: object) -> bytes:
    blob: bytes = msgpack.packb(obj)
    return blob


def encode_place(
    *,
    order_id: int,
    user_id: int,
    side: int,
    order_type: int,
    time_in_force: int = TimeInForce.GTC,
    price: int = 0,
    quantity: int = 0,
    quote_amount: int = 0,
    stop_price: int = 0,
    lock: int,
    stp: int = SelfTradePrevention.NONE,
    trailing_delta: int = 0,
) -> bytes:
    """Encode a PLACE command; `lock` is in quote units for BUY and lots for SELL.

    A `trailing_delta` (BIPS) makes a stop type a trailing stop: the 14-field layout.
    """
    fields = [
        VERSION,
        CommandType.PLACE,
        order_id,
        user_id,
        side,
        order_type,
        time_in_force,
        price,
        quantity,
        quote_amount,
        stop_price,
        lock,
        stp,
    ]
    if trailing_delta:
        fields.append(trailing_delta)
    return _pack(fields)


def encode_replace(
    *,
    cancel_order_id: int,
    mode: int,
    carry: int,
    order_id: int,
    user_id: int,
    side: int,
    order_type: int,
    time_in_force: int = TimeInForce.GTC,
    price: int = 0,
    quantity: int = 0,
    quote_amount: int = 0,
    stop_price: int = 0,
    lock: int,
    stp: int = SelfTradePrevention.NONE,
) -> bytes:
    """Encode a REPLACE: cancel ``cancel_order_id``, then PLACE the rest as one step.

    ``lock`` is what entry locked for the new order; when the cancel succeeds and
    both orders are on one side, up to ``carry`` of the canceled order's unused lock
    is added to it (the canceled order's DONE reports only the rest as unused).
    """
    return _pack(
        [
            VERSION,
            CommandType.REPLACE,
            cancel_order_id,
            mode,
            carry,
            order_id,
            user_id,
            side,
            order_type,
            time_in_force,
            price,
            quantity,
            quote_amount,
            stop_price,
            lock,
            stp,
        ]
    )


def encode_amend(*, order_id: int, user_id: int, old_qty: int, new_qty: int) -> bytes:
    """Encode an AMEND: the order's original quantity ``old_qty`` (as the sender knew
    it) becomes ``new_qty``; what filled is ``old_qty`` minus what rests."""
    return _pack([VERSION, CommandType.AMEND, order_id, user_id, old_qty, new_qty])


# A PLACE_LIST leg: (order_id, side, type, tif, price, qty, quote, stop, stp).
ListLeg = tuple[int, int, int, int, int, int, int, int, int]


def encode_place_list(*, user_id: int, lock: int, legs: tuple[ListLeg, ListLeg]) -> bytes:
    """Encode a PLACE_LIST of two OCO legs sharing one ``lock`` (units as PLACE's)."""
    return _pack([VERSION, CommandType.PLACE_LIST, user_id, lock, *legs[0], *legs[1]])


def encode_cancel(*, order_id: int, user_id: int) -> bytes:
    return _pack([VERSION, CommandType.CANCEL, order_id, user_id])


def encode_cancel_all(*, user_id: int) -> bytes:
    return _pack([VERSION, CommandType.CANCEL_ALL, user_id])


def encode_market_create(
    *,
    symbol: str,
    status: int = MarketStatus.TRADING,
    dedupe_window: int = DEFAULT_DEDUPE_WINDOW,
) -> bytes:
    return _pack([VERSION, CommandType.MARKET_CREATE, symbol, status, dedupe_window])


def encode_halt() -> bytes:
    return _pack([VERSION, CommandType.HALT])


def encode_resume() -> bytes:
    return _pack([VERSION, CommandType.RESUME])


def encode_snapshot_request() -> bytes:
    return _pack([VERSION, CommandType.SNAPSHOT])


# A set of symbols: an engine started with --follow runs every market listed here,
# including those added while it runs. Not a market key, so it carries no hash tag.
MARKETS_KEY = "me:markets"


def input_stream(symbol: str) -> str:
    """Commands for one market; `{symbol}` is a Redis Cluster hash tag."""
    return f"me:{{{symbol}}}:in"


def output_stream(symbol: str) -> str:
    """Events for one market, one entry per input entry with the same ID."""
    return f"me:{{{symbol}}}:out"


def stats_key(symbol: str) -> str:
    return f"me:{{{symbol}}}:stats"


def snapshot_key(symbol: str) -> str:
    return f"me:{{{symbol}}}:snapshot"


def leader_key(symbol: str) -> str:
    """The leader lease of a market's engines (``--standby``; see lease.py)."""
    return f"me:{{{symbol}}}:leader"


def standby_key(symbol: str) -> str:
    """Hash of the standbys' input positions: token -> "ms-seq|wall ms" (the trimmer's floor)."""
    return f"me:{{{symbol}}}:standby"


def input_trimmed_key(symbol: str) -> str:
    """The ID the input stream was last trimmed below: without a snapshot, no replay."""
    return f"me:{{{symbol}}}:in:trimmed"
