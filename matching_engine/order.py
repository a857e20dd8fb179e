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
        self.seq = seq
        self.prev = None
        self.next = None
        self.level = None

    @classmethod
    def from_fields(cls, fields: list[int], seq: int) -> Order:
        """Rebuild an order from `fields()` output."""
        oid, user, side, type_, tif, price, qty, quote, stop, lock, stp = fields
        return cls(oid, user, side, type_, tif, price, qty, quote, stop, lock, stp, seq)

    def fields(self) -> list[int]:
        """Return the persistent fields in ORDER_FIELDS order (for hashes and snapshots)."""
        return [
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

    def __repr__(self) -> str:
        return "Order(" + ", ".join(f"{n}={getattr(self, n)}" for n in ORDER_FIELDS) + ")"


def stop_triggers_up(side: int, order_type: int) -> bool:
    """Return True if the stop fires when the last price rises to the stop price.

    STOP_LOSS buys and TAKE_PROFIT sells fire on last >= stop; the other two on last <= stop.
    """
    is_stop_loss = order_type in (STOP_LOSS, STOP_LOSS_LIMIT)
    return is_stop_loss == (side == BUY)
