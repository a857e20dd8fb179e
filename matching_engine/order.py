"""The in-memory order shared by both book implementations."""

from __future__ import annotations

from typing import Final

from .protocol import OrderType

# Plain ints on the hot path: IntEnum attribute lookups cost more than globals.
BUY: Final = 0
SELL: Final = 1

LIMIT: Final = int(OrderType.LIMIT)
LIMIT_MAKER: Final = int(OrderType.LIMIT_MAKER)
MARKET: Final = int(OrderType.MARKET)
STOP_LOSS: Final = int(OrderType.STOP_LOSS)
STOP_LOSS_LIMIT: Final = int(OrderType.STOP_LOSS_LIMIT)
TAKE_PROFIT: Final = int(OrderType.TAKE_PROFIT)
TAKE_PROFIT_LIMIT: Final = int(OrderType.TAKE_PROFIT_LIMIT)

# Fields in wire/snapshot order (see Order.fields()).
ORDER_FIELDS = (
    "id",
    "user",
    "side",
    "type",
    "tif",
    "price",
    "qty",
    "quote",
    "stop",
    "lock",
    "stp",
)


class Order:
    """One order. `qty`, `quote` and `lock` are what remains, not what was asked.

    `qty` is the base quantity still wanted (0 for an order sized by quote amount),
    `quote` the quote amount still wanted (0 for an order sized by base quantity),
    `lock` the unspent locked funds: quote units for BUY, lots for SELL.
    """

    __slots__ = (
        *ORDER_FIELDS,
        "trail",
        "peak",
        "seq",
        "prev",
        "next",
        "level",
    )

    id: int
    user: int
    side: int
    type: int
    tif: int
    price: int
    qty: int
    quote: int
    stop: int
    lock: int
    stp: int
    trail: int
    peak: int
    seq: int
    prev: Order | None
    next: Order | None
    level: object

    def __init__(
        self,
        id: int,
        user: int,
        side: int,
        type: int,
        tif: int,
        price: int,
        qty: int,
        quote: int,
        stop: int,
        lock: int,
        stp: int,
        seq: int,
        trail: int = 0,
        peak: int = 0,
    ) -> None:
        self.id = id
        self.user = user
        self.side = side
        self.type = type
        self.tif = tif
        self.price = price
        self.qty = qty
        self.quote = quote
        self.stop = stop
        self.lock = lock
        self.stp = stp
        self.trail = trail
        self.peak = peak
        self.seq = seq
        self.prev = None
        self.next = None
        self.level = None

    @classmethod
    def from_fields(cls, fields: list[int], seq: int) -> Order:
        """Rebuild an order from `fields()` output (13 fields for a trailing stop)."""
        oid, user, side, type_, tif, price, qty, quote, stop, lock, stp = fields[:11]
        trail, peak = (fields[11], fields[12]) if len(fields) == 13 else (0, 0)
        return cls(
            oid, user, side, type_, tif, price, qty, quote, stop, lock, stp, seq, trail, peak
        )

    def fields(self) -> list[int]:
        """Return the persistent fields in ORDER_FIELDS order (for hashes and snapshots).

        A trailing stop adds its delta and its peak (0 until activated), so books
        without one hash and snapshot exactly as before trailing stops existed.
        """
        fields = [
            self.id,
            self.user,
            self.side,
            self.type,
            self.tif,
            self.price,
            self.qty,
            self.quote,
            self.stop,
            self.lock,
            self.stp,
        ]
        if self.trail:
            fields += [self.trail, self.peak]
        return fields

    def __repr__(self) -> str:
        return "Order(" + ", ".join(f"{n}={getattr(self, n)}" for n in ORDER_FIELDS) + ")"


def stop_triggers_up(side: int, order_type: int) -> bool:
    """Return True if the stop fires when the last price rises to the stop price.

    STOP_LOSS buys and TAKE_PROFIT sells fire on last >= stop; the other two on last <= stop.
    """
    is_stop_loss = order_type in (STOP_LOSS, STOP_LOSS_LIMIT)
    return is_stop_loss == (side == BUY)


def triggers_up(order: Order) -> bool:
    """Return True if the pending stop `order` fires when the last price rises to its stop.

    An activated trailing stop (peak > 0) fires against its side: a buy when the price
    rises back from its low, a sell when it falls from its high. Before activation it
    waits for its stop price (the activation price) like any stop of its type.
    """
    if order.peak:
        return order.side == BUY
    return stop_triggers_up(order.side, order.type)


BIPS: Final = 10_000
MAX_PRICE: Final = (1 << 63) - 1


def trailing_stop(side: int, peak: int, delta: int) -> int:
    """Return the stop price of a trailing stop whose best price so far is `peak`.

    A sell fires at last <= peak * (1 - delta/10^4), a buy at last >= peak * (1 +
    delta/10^4); rounding down for a sell and up for a buy makes the integer comparison
    with the last price exact. Clamped to 1 .. 2^63-1.
    """
    if side == BUY:
        return min(MAX_PRICE, -(-peak * (BIPS + delta) // BIPS))
    return max(1, peak * (BIPS - delta) // BIPS)
