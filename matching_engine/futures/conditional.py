"""Pending conditional orders (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET,
TRAILING_STOP_MARKET).

They reserve no margin and are not in the book until the trigger price (the mark or
the last trade price, the order's working type) reaches their stop price; then the
engine places them as LIMIT or MARKET orders with the usual checks. Per contract,
working type and direction a heap keeps them by stop price, so checking a new price
costs one peek per heap whatever the number of untriggered orders; a canceled order
leaves a stale heap entry that is skipped when it surfaces (and compacted away).

A trailing stop waits in a heap for its activation price like a take-profit (a sell
when the price rises to it, a buy when it falls to it); once active (`peak` > 0) it
sits in a per-(contract, working type) dict and follows the best price seen at each
check, firing when the price comes back by its callback rate (`rate`, 0.01 % units).
"""

from __future__ import annotations

import heapq
from typing import Final

from ..order import BUY, SELL
from .protocol import FuturesOrderType

_STOP: Final = int(FuturesOrderType.STOP)
_STOP_MARKET: Final = int(FuturesOrderType.STOP_MARKET)
TRAILING: Final = int(FuturesOrderType.TRAILING_STOP_MARKET)
RATE_UNITS: Final = 10_000  # callback rate units in 100 %
_COMPACT_MIN: Final = 4096
CONDITIONAL_TYPES: Final = frozenset(int(t) for t in FuturesOrderType if t >= FuturesOrderType.STOP)


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
        "rate",
        "peak",
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
        rate: int = 0,
        peak: int = 0,
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
        self.rate = rate
        self.peak = peak
        self.seq = seq

    @classmethod
    def from_fields(cls, fields: list[int], seq: int) -> Stop:
        (id, user, cid, side, type, tif, price, qty, reduce_only, stp, stop, working, close) = (
            fields[:13]
        )
        rate, peak = (fields[13], fields[14]) if len(fields) == 15 else (0, 0)
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
            rate,
            peak,
        )

    def fields(self) -> list[int]:
        """Everything but `seq`, in PLACE argument order plus the contract first; a
        trailing stop adds its callback rate and its peak (0 until activated)."""
        fields = [
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
        if self.type == TRAILING:
            fields += [self.rate, self.peak]
        return fields

    def triggered(self, price: int) -> bool:
        """Whether an active trailing stop fires at `price` (0: no price yet)."""
        if not price:
            return False
        if self.side == BUY:
            return price * RATE_UNITS >= self.peak * (RATE_UNITS + self.rate)
        return price * RATE_UNITS <= self.peak * (RATE_UNITS - self.rate)


class StopBook:
    """Every pending conditional order of a margin group, indexed by trigger price."""

    def __init__(self) -> None:
        self.orders: dict[int, Stop] = {}
        # (contract, working type, rising) -> heap of (key, seq, order id); key is the
        # stop for rising orders (lowest fires first), -stop for falling ones.
        self.heaps: dict[tuple[int, int, bool], list[tuple[int, int, int]]] = {}
        # (contract, working type) -> active trailing stops by id
        self.trailing: dict[tuple[int, int], dict[int, Stop]] = {}

    def add(self, order: Stop) -> None:
        self.orders[order.id] = order
        if order.peak:
            self.trailing.setdefault((order.cid, order.working), {})[order.id] = order
            return
        rising = fires_rising(order.side, order.type)
        heap = self.heaps.setdefault((order.cid, order.working, rising), [])
        heapq.heappush(heap, (order.stop if rising else -order.stop, order.seq, order.id))
        if len(heap) > _COMPACT_MIN and len(heap) > 2 * len(self.orders):
            live = [e for e in heap if e[2] in self.orders]
            heap[:] = live
            heapq.heapify(heap)

    def remove(self, order_id: int) -> Stop | None:
        order = self.orders.pop(order_id, None)
        if order is not None and order.peak:
            self.trailing[(order.cid, order.working)].pop(order_id, None)
        return order

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
        trailing = self.trailing.get((cid, working))
        if trailing:
            for order in list(trailing.values()):
                if order.triggered(price):
                    out.append(order)
                elif (price > order.peak) if order.side == SELL else (price < order.peak):
                    order.peak = price
        return self._activate(out, price) if out else out

    def _activate(self, out: list[Stop], price: int) -> list[Stop]:
        """Start trailing the waiting trailing stops in `out` from `price`; return the rest.

        An order activated here cannot fire at the same price (it needs a move back).
        """
        fired: list[Stop] = []
        for order in out:
            if order.type == TRAILING and not order.peak:
                order.peak = price
                self.trailing.setdefault((order.cid, order.working), {})[order.id] = order
            else:
                fired.append(order)
        return fired

    def pending(self) -> list[Stop]:
        return sorted(self.orders.values(), key=lambda o: o.seq)
