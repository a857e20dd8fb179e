"""Pending conditional orders (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET).

They reserve no margin and are not in the book until the trigger price (the mark or
the last trade price, the order's working type) reaches their stop price; then the
engine places them as LIMIT or MARKET orders with the usual checks. Per contract,
working type and direction a heap keeps them by stop price, so checking a new price
costs one peek per heap whatever the number of untriggered orders; a canceled order
leaves a stale heap entry that is skipped when it surfaces (and compacted away).
"""

from __future__ import annotations

import heapq

from ..order import BUY
from .protocol import FuturesOrderType

_STOP = int(FuturesOrderType.STOP)
_STOP_MARKET = int(FuturesOrderType.STOP_MARKET)
_COMPACT_MIN = 4096
CONDITIONAL_TYPES = frozenset(int(t) for t in FuturesOrderType if t >= FuturesOrderType.STOP)


def fires_rising(side: int, order_type: int) -> bool:
    """A buy stop and a sell take-profit fire when the price rises to the stop."""
    return (order_type in (_STOP, _STOP_MARKET)) == (side == BUY)


class Stop:
    """A pending conditional order; `close` 1 closes the whole position when fired."""

    __slots__ = (
        "id",
        "user",
        "cid",
        "side",
        "type",
        "tif",
        "price",
        "qty",
        "reduce_only",
        "stp",
        "stop",
        "working",
        "close",
        "seq",
    )

    def __init__(
        self,
        id: int,
        user: int,
        cid: int,
        side: int,
        type: int,
        tif: int,
        price: int,
        qty: int,
        reduce_only: int,
        stp: int,
        stop: int,
        working: int,
        close: int,
        seq: int,
    ) -> None:
        self.id = id
        self.user = user
        self.cid = cid
        self.side = side
        self.type = type
        self.tif = tif
        self.price = price
        self.qty = qty
        self.reduce_only = reduce_only
        self.stp = stp
        self.stop = stop
        self.working = working
        self.close = close
        self.seq = seq

    @classmethod
    def from_fields(cls, fields: list[int], seq: int) -> Stop:
        (id, user, cid, side, type, tif, price, qty, reduce_only, stp, stop, working, close) = (
            fields
        )
        return cls(
            id,
            user,
            cid,
            side,
            type,
            tif,
            price,
            qty,
            reduce_only,
            stp,
            stop,
            working,
            close,
            seq,
        )

    def fields(self) -> list[int]:
        """Everything but `seq`, in PLACE argument order plus the contract first."""
        return [
            self.id,
            self.user,
            self.cid,
            self.side,
            self.type,
            self.tif,
            self.price,
            self.qty,
            self.reduce_only,
            self.stp,
            self.stop,
            self.working,
            self.close,
        ]


class StopBook:
    """Every pending conditional order of a margin group, indexed by trigger price."""

    def __init__(self) -> None:
        self.orders: dict[int, Stop] = {}
        # (contract, working type, rising) -> heap of (key, seq, order id); key is the
        # stop for rising orders (lowest fires first), -stop for falling ones.
        self.heaps: dict[tuple[int, int, bool], list[tuple[int, int, int]]] = {}

    def add(self, order: Stop) -> None:
        self.orders[order.id] = order
        rising = fires_rising(order.side, order.type)
        heap = self.heaps.setdefault((order.cid, order.working, rising), [])
        heapq.heappush(heap, (order.stop if rising else -order.stop, order.seq, order.id))
        if len(heap) > _COMPACT_MIN and len(heap) > 2 * len(self.orders):
            live = [e for e in heap if e[2] in self.orders]
            heap[:] = live
            heapq.heapify(heap)

    def remove(self, order_id: int) -> Stop | None:
        return self.orders.pop(order_id, None)

    def would_fire(self, side: int, order_type: int, stop: int, price: int) -> bool:
        if not price:
            return False
        return price >= stop if fires_rising(side, order_type) else price <= stop

    def fired(self, cid: int, working: int, price: int) -> list[Stop]:
        """Return the orders that `price` triggers (none if price is 0), out of the index.

        They stay in `orders` until the engine places them (`remove`): one placed
        before them may get their account liquidated, which cancels them instead.
        """
        if not price:
            return []
        out: list[Stop] = []
        orders = self.orders
        rising = self.heaps.get((cid, working, True))
        while rising and rising[0][0] <= price:
            _, _, oid = heapq.heappop(rising)
            order = orders.get(oid)
            if order is not None:
                out.append(order)
        falling = self.heaps.get((cid, working, False))
        while falling and -falling[0][0] >= price:
            _, _, oid = heapq.heappop(falling)
            order = orders.get(oid)
            if order is not None:
                out.append(order)
        return out

    def pending(self) -> list[Stop]:
        return sorted(self.orders.values(), key=lambda o: o.seq)
