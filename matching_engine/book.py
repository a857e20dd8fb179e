"""The order book interface, implemented by a naive reference and a fast book."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Final

import msgpack

from .order import BUY, Order

# execute() returns a DoneReason value, or RESTED when the remainder joined the book.
RESTED: Final = -1

Event = tuple[int | str, ...]  # str only in the SNAPSHOT event's state hash


class InternalStateError(Exception):
    """The book broke one of its invariants; the engine must not continue."""


def level_key(side: int, price: int) -> int:
    """Return the signed key of a price level: +price for bids, -price for asks."""
    return price if side == BUY else -price


class OrderBook(ABC):
    """Resting limit orders and pending stop orders of one market, and the matching rules.

    The matching rules (price-time priority, self-trade prevention, the budget of the
    locked funds, quote-sized orders) live here, so that the two implementations check
    each other in the differential test. The engine (`Market`) owns validation, dedupe,
    market status and the stop-trigger cascade.

    Every change appends to `events` (TRADE tuples and the DONE tuples of makers) and
    records the signed key of every level it changes in `touched`; the engine drains both
    (`take_level_changes`).
    """

    trade_seq: int
    last_price: int
    events: list[Event]
    touched: dict[int, object]

    def __init__(self) -> None:
        self.trade_seq = 0
        self.last_price = 0
        self.events = []
        self.touched = {}

    @abstractmethod
    def execute(self, taker: Order) -> int:
        """Match `taker`; rest a GTC limit remainder. Return RESTED or a DoneReason.

        Precondition: `taker` passed the engine's validation (its lock covers
        price * qty for a limit buy, qty for a base-sized sell, quote for a quote-sized buy).
        """

    @abstractmethod
    def would_take(self, side: int, price: int) -> bool:
        """Return True if a limit order at `price` would match a resting order now."""

    @abstractmethod
    def fok_fillable(self, taker: Order) -> bool:
        """Return True if a limit `taker` would fill completely, honouring its STP mode."""

    @abstractmethod
    def get(self, order_id: int) -> Order | None:
        """Return the resting or pending-stop order with this id."""

    @abstractmethod
    def remove(self, order_id: int) -> Order | None:
        """Take a resting or pending-stop order out of the book and return it."""

    @abstractmethod
    def reduce(self, order_id: int, qty: int) -> None:
        """Lower a resting order's remaining quantity to `qty` (0 < qty < its qty) in
        place: it keeps its queue position, as an amend that only decreases does."""

    @abstractmethod
    def user_order_ids(self, user_id: int) -> list[int]:
        """Return the ids of the user's resting and pending-stop orders, ascending."""

    @abstractmethod
    def add_stop(self, order: Order) -> None:
        """Keep a stop order until the last trade price reaches its stop price."""

    @abstractmethod
    def pop_triggered(self) -> Order | None:
        """Remove and return the next stop triggered by `last_price`, or None.

        Order: rising triggers first (lowest stop, then oldest), then falling triggers
        (highest stop, then oldest).
        """

    @abstractmethod
    def level_qty(self, key: int) -> int:
        """Return the total resting quantity at the level with this signed key (0 if none)."""

    @abstractmethod
    def depth(self, side: int, limit: int) -> list[tuple[int, int]]:
        """Return up to `limit` (price, total qty) levels of one side, best first."""

    @abstractmethod
    def resting_orders(self) -> list[Order]:
        """Return resting orders: bids best first, then asks best first, oldest first."""

    @abstractmethod
    def stop_orders(self) -> list[Order]:
        """Return pending stops in trigger order: rising triggers, then falling ones."""

    @abstractmethod
    def rest(self, order: Order) -> None:
        """Put a limit order at the back of its price level (no matching)."""

    @abstractmethod
    def validate_internal_state(self) -> None:
        """Raise InternalStateError if an invariant does not hold."""

    def take_level_changes(self) -> list[tuple[int, int, int]]:
        """Return (side, price, new total) of every touched level and forget them.

        Bids first, best (highest) price first, then asks, best (lowest) price first.
        """
        touched = self.touched
        self.touched = {}
        return [
            (BUY, k, self.level_qty(k)) if k > 0 else (1 - BUY, -k, self.level_qty(k))
            for k in sorted(touched, reverse=True)
        ]

    def canonical_state(self) -> list[object]:
        """Return the book as plain data, identical for equal books of either implementation."""
        return [
            self.trade_seq,
            self.last_price,
            [o.fields() for o in self.resting_orders()],
            [o.fields() for o in self.stop_orders()],
        ]

    def state_hash(self) -> str:
        blob: bytes = msgpack.packb(self.canonical_state())
        return hashlib.blake2b(blob, digest_size=16).hexdigest()

    def check_common_invariants(self) -> None:
        """Check what both implementations promise through the interface."""
        bids = self.depth(BUY, 1)
        asks = self.depth(1 - BUY, 1)
        if bids and asks and bids[0][0] >= asks[0][0]:
            raise InternalStateError(f"book crossed: bid {bids[0]} ask {asks[0]}")
        seen: set[int] = set()
        for o in self.resting_orders():
            if o.id in seen:
                raise InternalStateError(f"order {o.id} rests twice")
            seen.add(o.id)
            if o.qty <= 0 or o.quote != 0 or o.price <= 0:
                raise InternalStateError(f"bad resting order {o!r}")
            need = o.price * o.qty if o.side == BUY else o.qty
            if o.lock < need:
                raise InternalStateError(f"resting order {o.id} lock {o.lock} < {need}")
        for o in self.stop_orders():
            if o.id in seen:
                raise InternalStateError(f"order {o.id} is both resting and a stop")
            seen.add(o.id)
            if o.stop <= 0 or o.lock <= 0:
                raise InternalStateError(f"bad stop order {o!r}")
        for side in (BUY, 1 - BUY):
            total_by_price: dict[int, int] = {}
            for o in self.resting_orders():
                if o.side == side:
                    total_by_price[o.price] = total_by_price.get(o.price, 0) + o.qty
            levels = self.depth(side, len(total_by_price) + 1)
            if dict(levels) != total_by_price or len(levels) != len(total_by_price):
                raise InternalStateError(f"level totals {levels} != order sums {total_by_price}")
            prices = [p for p, _ in levels]
            if prices != sorted(prices, reverse=(side == BUY)):
                raise InternalStateError(f"levels out of order: {prices}")
            for price, _ in levels:
                if self.level_qty(level_key(side, price)) != total_by_price[price]:
                    raise InternalStateError(f"level_qty wrong at {side}/{price}")
