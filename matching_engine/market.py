"""The deterministic state machine of one market: command in, exactly one output out.

`Market.apply(blob)` decodes a command (docs/matching-protocol.md), executes it and
returns the encoded output entry. Nothing here reads a clock, a random source or the
environment, so equal inputs give byte-identical outputs.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from typing import Any, Final

import msgpack

from .book import RESTED, Event, InternalStateError, OrderBook
from .book_fast import FastOrderBook
from .order import (
    BIPS,
    BUY,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    SELL,
    STOP_LOSS,
    STOP_LOSS_LIMIT,
    TAKE_PROFIT,
    TAKE_PROFIT_LIMIT,
    Order,
    stop_triggers_up,
    trailing_stop,
)
from .protocol import (
    DEFAULT_DEDUPE_WINDOW,
    MAX_INT,
    VERSION,
    CommandType,
    DoneReason,
    EventType,
    MarketStatus,
    ReplaceMode,
    ResultCode,
    TimeInForce,
)

SNAPSHOT_VERSION: Final = 1
MAX_DEDUPE_WINDOW: Final = 100_000_000

Output = list[Any]

_PLACE: Final = int(CommandType.PLACE)
_CANCEL: Final = int(CommandType.CANCEL)
_CANCEL_ALL: Final = int(CommandType.CANCEL_ALL)
_MARKET_CREATE: Final = int(CommandType.MARKET_CREATE)
_HALT: Final = int(CommandType.HALT)
_RESUME: Final = int(CommandType.RESUME)
_SNAPSHOT: Final = int(CommandType.SNAPSHOT)
_REPLACE: Final = int(CommandType.REPLACE)
_AMEND: Final = int(CommandType.AMEND)
_PLACE_LIST: Final = int(CommandType.PLACE_LIST)
_STOP_ON_FAILURE: Final = int(ReplaceMode.STOP_ON_FAILURE)
_ALLOW_FAILURE: Final = int(ReplaceMode.ALLOW_FAILURE)

_OK: Final = int(ResultCode.OK)
_DUPLICATE: Final = int(ResultCode.DUPLICATE)
_MALFORMED: Final = int(ResultCode.MALFORMED)
_TRADING: Final = int(MarketStatus.TRADING)
_HALTED: Final = int(MarketStatus.HALTED)
_UNKNOWN: Final = int(MarketStatus.UNKNOWN)
_DONE: Final = int(EventType.DONE)
_TRADE: Final = int(EventType.TRADE)
_STOP_TRIGGERED: Final = int(EventType.STOP_TRIGGERED)
_FOK: Final = int(TimeInForce.FOK)
_EXPIRED: Final = int(DoneReason.EXPIRED)
_CANCELED: Final = int(DoneReason.CANCELED)
_unpackb: Final = msgpack.unpackb

_LIMIT_PRICED: Final = frozenset((LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT))
_WITH_TIF: Final = frozenset((LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT))
_STOPS: Final = frozenset((STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT))
# A list leg must rest at entry: it may not take, so the other leg is still there.
_LIST_TYPES = frozenset((LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT))
_NO_EVENTS: tuple[Event, ...] = ()


def _arrival(order: Order) -> int:
    return order.seq


def _all_ints(values: list[Any]) -> bool:
    for v in values:  # noqa: SIM110 - a plain loop is faster than all() over a generator
        if type(v) is not int:  # bool and float are not accepted
            return False
    return True


def validate_place(
    user_id: int,
    side: int,
    order_type: int,
    tif: int,
    price: int,
    qty: int,
    quote: int,
    stop: int,
    lock: int,
    stp: int,
    trail: int = 0,
) -> int:
    """Return the ResultCode for a PLACE's fields (OK if it may enter the book).

    A trailing stop (`trail` > 0, BIPS) may leave `stop` 0: it then trails from the
    last price at once instead of waiting for its activation price.
    """
    if not 0 <= user_id <= MAX_INT:
        return ResultCode.INVALID_USER_ID
    if side != BUY and side != SELL:
        return ResultCode.INVALID_SIDE
    if not LIMIT <= order_type <= TAKE_PROFIT_LIMIT:
        return ResultCode.INVALID_TYPE
    if not 0 <= stp <= 3:
        return ResultCode.INVALID_STP
    if order_type in _WITH_TIF:
        if not 0 <= tif <= 2:
            return ResultCode.INVALID_TIME_IN_FORCE
    elif tif != 0:
        return ResultCode.INVALID_TIME_IN_FORCE
    limit_priced = order_type in _LIMIT_PRICED
    if limit_priced:
        if not 0 < price <= MAX_INT:
            return ResultCode.INVALID_PRICE
    elif price != 0:
        return ResultCode.INVALID_PRICE
    if trail and not (order_type in _STOPS and 0 < trail < BIPS):
        return ResultCode.INVALID_TRAILING_DELTA
    if order_type in _STOPS:
        if not (0 < stop <= MAX_INT or (trail and stop == 0)):
            return ResultCode.INVALID_STOP_PRICE
    elif stop != 0:
        return ResultCode.INVALID_STOP_PRICE
    if limit_priced:
        # Every resting order's notional fits 63 bits, so every trade's quote does too.
        if not (0 < qty <= MAX_INT and quote == 0 and price * qty <= MAX_INT):
            return ResultCode.INVALID_QUANTITY
    elif not ((0 < qty <= MAX_INT and quote == 0) or (qty == 0 and 0 < quote <= MAX_INT)):
        return ResultCode.INVALID_QUANTITY
    if not 0 < lock <= MAX_INT:
        return ResultCode.INSUFFICIENT_LOCK
    # A buy sized in base with no limit price (market, stop) caps itself at its lock.
    need = (price * qty if limit_priced else quote) if side == BUY else qty
    if lock < need:
        return ResultCode.INSUFFICIENT_LOCK
    return ResultCode.OK


class Market:
    """One market's matching state. Not thread-safe; one owner at a time."""

    def __init__(self, symbol: str, book: OrderBook | None = None) -> None:
        self.symbol = symbol
        self.book: OrderBook = book if book is not None else FastOrderBook()
        self.status = _UNKNOWN
        self.book_seq = 0  # last book update id (Binance's u)
        self.next_seq = 0  # arrival counter: time priority inside the book
        self.dedupe_window = DEFAULT_DEDUPE_WINDOW
        self.seen: set[int] = set()
        self.seen_order: deque[int] = deque()
        self.seen_floor = 0  # highest id evicted from the dedupe window
        self.snapshot_requested = False
        # Activated trailing stops, whose stop follows every trade price. Derived from
        # the book's stops (rebuilt from a snapshot); a canceled one is dropped lazily.
        self.trailing: dict[int, Order] = {}
        # OCO legs: order id -> the other leg's id, both ways, while both are in the book.
        self.links: dict[int, int] = {}
        self._pack: Callable[[object], bytes] = msgpack.Packer(autoreset=True).pack

    # --- entry points ----------------------------------------------------------------

    def apply(self, blob: bytes) -> bytes:
        """Execute one encoded command and return its encoded output entry."""
        try:
            command = _unpackb(blob)
        except Exception:  # any undecodable blob is the sender's error, never ours
            return self._pack(self._reply(0, _MALFORMED, 0, 0))
        return self._pack(self.process(command))

    def apply_entries(self, entries: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes]]:
        """`apply` each stream entry's blob (a missing one is empty) in order; return
        (entry id, output) pairs. One call per batch: the loop runs compiled."""
        return [(i, self.apply(b"" if blob is None else blob)) for i, blob in entries]

    def process(self, command: Any) -> Output:
        """Execute one decoded command and return its output entry (not yet encoded)."""
        if type(command) is not list:
            return self._reply(0, _MALFORMED, 0, 0)
        n = len(command)
        # Fast paths for the two commands that make up almost all traffic.
        if n == 13 and command[1] == _PLACE and command[0] == VERSION and _all_ints(command):
            _, _, oid, uid, side, typ, tif, price, qty, quote, stop, lock, stp = command
            return self.place(oid, uid, side, typ, tif, price, qty, quote, stop, lock, stp)
        if n == 4 and command[1] == _CANCEL and command[0] == VERSION and _all_ints(command):
            return self.cancel(command[2], command[3])
        if n < 2:
            return self._reply(0, _MALFORMED, 0, 0)
        version = command[0]
        c = command[1]
        if type(c) is not int or type(version) is not int:
            return self._reply(0, _MALFORMED, 0, 0)
        if version != VERSION:
            return self._reply(0, ResultCode.UNSUPPORTED_VERSION, 0, 0)
        if c == _CANCEL_ALL:
            if n == 3 and _all_ints(command):
                return self.cancel_all(command[2])
        elif c == _MARKET_CREATE:
            if n == 5 and type(command[2]) is str and _all_ints(command[3:]):
                return self.create(command[2], command[3], command[4])
        elif c == _REPLACE:
            if n == 16 and _all_ints(command):
                return self.replace(*command[2:])
        elif c == _AMEND:
            if n == 6 and _all_ints(command):
                return self.amend(command[2], command[3], command[4], command[5])
        elif c == _PLACE_LIST:
            if n == 22 and _all_ints(command):
                return self.place_list(command[2], command[3], command[4:13], command[13:22])
        elif c in (_HALT, _RESUME, _SNAPSHOT):
            if n == 2:
                return self.control(c)
        elif c == _PLACE:
            if n == 14 and _all_ints(command):
                a = command
                return self.place(
                    a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12],
                    _PLACE, a[13],
                )  # fmt: skip
        elif c != _CANCEL:  # a CANCEL was malformed if it got here
            # Echo only known command types, so every output decodes into the enum.
            return self._reply(0, ResultCode.UNKNOWN_COMMAND, 0, 0)
        return self._reply(c, _MALFORMED, 0, 0)

    # --- commands --------------------------------------------------------------------

    def place(
        self,
        order_id: int,
        user_id: int,
        side: int,
        order_type: int,
        tif: int,
        price: int,
        qty: int,
        quote: int,
        stop: int,
        lock: int,
        stp: int,
        command: int = _PLACE,
        trail: int = 0,
    ) -> Output:
        if not 0 < order_id <= MAX_INT:
            return self._reply(command, ResultCode.INVALID_ORDER_ID, order_id, user_id)
        book = self.book
        # An id seen before is ignored whatever the rest says: the sweeper may re-send.
        if order_id in self.seen:
            return self._reply(command, _DUPLICATE, order_id, user_id)
        if order_id <= self.seen_floor:
            code = _DUPLICATE if book.get(order_id) is not None else ResultCode.ORDER_ID_TOO_OLD
            return self._reply(command, code, order_id, user_id)
        self._remember(order_id)
        if self.status != _TRADING:
            code = ResultCode.MARKET_HALTED if self.status == _HALTED else ResultCode.MARKET_UNKNOWN
            return self._reply(command, code, order_id, user_id)
        # Fast path for the common valid limit order; anything else gets a precise code.
        if not (
            order_type == LIMIT
            and price > 0
            and qty > 0
            and quote == 0
            and stop == 0
            and trail == 0
            and 0 <= tif <= 2
            and 0 <= stp <= 3
            and 0 <= user_id <= MAX_INT
            and lock <= MAX_INT
            and price * qty <= MAX_INT
            and ((side == BUY and lock >= price * qty) or (side == SELL and lock >= qty))
        ):
            code = validate_place(
                user_id, side, order_type, tif, price, qty, quote, stop, lock, stp, trail
            )
            if code:
                return self._reply(command, code, order_id, user_id)
        seq = self.next_seq
        self.next_seq = seq + 1
        order = Order(
            order_id, user_id, side, order_type, tif, price, qty, quote, stop, lock, stp, seq,
            trail,
        )  # fmt: skip
        if order_type in _STOPS:
            last = book.last_price
            if trail and not stop:
                if not last:
                    return self._reply(
                        command, ResultCode.TRAILING_WITHOUT_PRICE, order_id, user_id
                    )
                order.peak = last
                order.stop = trailing_stop(side, last, trail)
                self.trailing[order_id] = order
                book.add_stop(order)
                return self._reply(command, _OK, order_id, user_id)
            if last and (last >= stop if stop_triggers_up(side, order_type) else last <= stop):
                return self._reply(command, ResultCode.STOP_WOULD_TRIGGER, order_id, user_id)
            book.add_stop(order)
            return self._reply(command, _OK, order_id, user_id)
        if order_type == LIMIT_MAKER and book.would_take(side, price):
            return self._reply(command, ResultCode.POST_ONLY_WOULD_TAKE, order_id, user_id)
        trades_before = book.trade_seq
        at = len(book.events)
        self._execute(order)
        if book.trade_seq != trades_before:
            self._trigger_stops(at)
        return self._reply(command, _OK, order_id, user_id)

    def replace(
        self,
        cancel_id: int,
        mode: int,
        carry: int,
        order_id: int,
        user_id: int,
        side: int,
        order_type: int,
        tif: int,
        price: int,
        qty: int,
        quote: int,
        stop: int,
        lock: int,
        stp: int,
    ) -> Output:
        """Cancel ``cancel_id`` and place the new order in this one step: no other command
        runs between them. A repeat of the new order id changes nothing (DUPLICATE), as
        for PLACE. Up to ``carry`` of the canceled order's unused lock moves to a new
        order of its side; the canceled order's DONE reports the rest as unused."""
        if (mode != _STOP_ON_FAILURE and mode != _ALLOW_FAILURE) or not 0 <= carry <= MAX_INT:
            return self._reply(_REPLACE, _MALFORMED, order_id, user_id)
        if not 0 < order_id <= MAX_INT:
            return self._reply(_REPLACE, ResultCode.INVALID_ORDER_ID, order_id, user_id)
        if order_id in self.seen or order_id <= self.seen_floor or self.status == _UNKNOWN:
            # A repeat (DUPLICATE) or no market: PLACE's answer, and nothing is canceled.
            return self.place(
                order_id, user_id, side, order_type, tif, price, qty, quote, stop, lock, stp,
                _REPLACE,
            )  # fmt: skip
        book = self.book
        old = book.get(cancel_id)
        if old is None or old.user != user_id:
            if mode == _STOP_ON_FAILURE:
                self._remember(order_id)
                code = ResultCode.UNKNOWN_ORDER if old is None else ResultCode.USER_MISMATCH
                return self._reply(_REPLACE, code, order_id, user_id)
            return self.place(
                order_id, user_id, side, order_type, tif, price, qty, quote, stop, lock, stp,
                _REPLACE,
            )  # fmt: skip
        book.remove(cancel_id)
        carried = min(carry, old.lock) if old.side == side else 0
        self._cut_list(cancel_id)
        # The cancel comes first among the entry's events; its unused lock is known
        # once the new order is accepted (carried) or refused (nothing carried).
        at = len(book.events)
        book.events.append((_DONE,))
        reply = self.place(
            order_id, user_id, side, order_type, tif, price, qty, quote, stop, lock + carried,
            stp, _REPLACE,
        )  # fmt: skip
        unused = old.lock - carried if reply[2] == _OK else old.lock
        reply[5][at] = (_DONE, old.id, old.user, _CANCELED, old.qty, old.quote, unused)
        return reply

    def place_list(self, user_id: int, lock: int, leg0: list[int], leg1: list[int]) -> Output:
        """Place two OCO legs sharing one ``lock`` (each leg may use all of it): both rest
        or neither does. The first leg to trade, trigger or leave the book cancels the
        other in the same entry (``_cut_list``). The entry answers for the first leg."""
        id0, id1 = leg0[0], leg1[0]
        for oid in (id0, id1):
            if not 0 < oid <= MAX_INT:
                return self._reply(_PLACE_LIST, ResultCode.INVALID_ORDER_ID, id0, user_id)
        book = self.book
        seen = self.seen
        if id0 in seen or id1 in seen:
            return self._reply(_PLACE_LIST, _DUPLICATE, id0, user_id)
        if min(id0, id1) <= self.seen_floor:
            known = book.get(id0) is not None or book.get(id1) is not None
            code = _DUPLICATE if known else ResultCode.ORDER_ID_TOO_OLD
            return self._reply(_PLACE_LIST, code, id0, user_id)
        self._remember(id0)
        if id1 != id0:
            self._remember(id1)
        if self.status != _TRADING:
            code = ResultCode.MARKET_HALTED if self.status == _HALTED else ResultCode.MARKET_UNKNOWN
            return self._reply(_PLACE_LIST, code, id0, user_id)
        if id0 == id1 or leg0[1] != leg1[1] or not {leg0[2], leg1[2]} <= _LIST_TYPES:
            return self._reply(_PLACE_LIST, ResultCode.INVALID_LIST, id0, user_id)
        legs: list[Order] = []
        last = book.last_price
        for oid, side, typ, tif, price, qty, quote, stop, stp in (leg0, leg1):
            code = validate_place(user_id, side, typ, tif, price, qty, quote, stop, lock, stp)
            if not code and typ in _STOPS:
                up = stop_triggers_up(side, typ)
                if last and (last >= stop if up else last <= stop):
                    code = ResultCode.STOP_WOULD_TRIGGER
            elif not code and book.would_take(side, price):
                code = ResultCode.POST_ONLY_WOULD_TAKE
            if code:
                return self._reply(_PLACE_LIST, code, id0, user_id)
            seq = self._take_seq()
            legs.append(
                Order(oid, user_id, side, typ, tif, price, qty, quote, stop, lock, stp, seq)
            )
        for order in legs:
            if order.type in _STOPS:
                book.add_stop(order)
            else:
                book.rest(order)
        self.links[id0] = id1
        self.links[id1] = id0
        return self._reply(_PLACE_LIST, _OK, id0, user_id)

    def cancel(self, order_id: int, user_id: int) -> Output:
        if self.status == _UNKNOWN:
            return self._reply(_CANCEL, ResultCode.MARKET_UNKNOWN, order_id, user_id)
        order = self.book.get(order_id)
        if order is None:
            return self._reply(_CANCEL, ResultCode.UNKNOWN_ORDER, order_id, user_id)
        if order.user != user_id:
            return self._reply(_CANCEL, ResultCode.USER_MISMATCH, order_id, user_id)
        self._cancel(order_id)
        return self._reply(_CANCEL, _OK, order_id, user_id)

    def amend(self, order_id: int, user_id: int, old_qty: int, new_qty: int) -> Output:
        """Lower a resting order's original quantity from ``old_qty`` to ``new_qty`` in place
        (Binance's amend keep priority): the order keeps its queue position, and its lock
        drops by what the removed lots would have cost (price * lots for a buy, lots for a
        sell), which clearing releases. A refusal changes nothing."""
        if self.status == _UNKNOWN:
            return self._reply(_AMEND, ResultCode.MARKET_UNKNOWN, order_id, user_id)
        book = self.book
        order = book.get(order_id)
        if order is None:
            return self._reply(_AMEND, ResultCode.UNKNOWN_ORDER, order_id, user_id)
        if order.user != user_id:
            return self._reply(_AMEND, ResultCode.USER_MISMATCH, order_id, user_id)
        if order.stop != 0:
            return self._reply(_AMEND, ResultCode.AMEND_NOT_RESTING, order_id, user_id)
        if order_id in self.links:  # an OCO leg: the list's one lock is not this order's
            return self._reply(_AMEND, ResultCode.INVALID_LIST, order_id, user_id)
        if not 0 < new_qty < old_qty or old_qty < order.qty:
            return self._reply(_AMEND, ResultCode.AMEND_NOT_REDUCING, order_id, user_id)
        left = new_qty - (old_qty - order.qty)
        if left <= 0:
            return self._reply(_AMEND, ResultCode.AMEND_BELOW_FILLED, order_id, user_id)
        removed = order.qty - left
        order.lock -= order.price * removed if order.side == BUY else removed
        book.reduce(order_id, left)
        return self._reply(_AMEND, _OK, order_id, user_id)

    def cancel_all(self, user_id: int) -> Output:
        if self.status == _UNKNOWN:
            return self._reply(_CANCEL_ALL, ResultCode.MARKET_UNKNOWN, 0, user_id)
        book = self.book
        for order_id in book.user_order_ids(user_id):
            if book.get(order_id) is not None:  # not gone with its OCO sibling
                self._cancel(order_id)
        return self._reply(_CANCEL_ALL, _OK, 0, user_id)

    def create(self, symbol: str, status: int, dedupe_window: int) -> Output:
        if self.status != _UNKNOWN:
            return self._reply(_MARKET_CREATE, ResultCode.MARKET_EXISTS, 0, 0)
        if symbol != self.symbol:
            return self._reply(_MARKET_CREATE, ResultCode.SYMBOL_MISMATCH, 0, 0)
        if status != _TRADING and status != _HALTED:
            return self._reply(_MARKET_CREATE, ResultCode.INVALID_STATUS, 0, 0)
        if not 0 < dedupe_window <= MAX_DEDUPE_WINDOW:
            return self._reply(_MARKET_CREATE, ResultCode.INVALID_DEDUPE_WINDOW, 0, 0)
        self.status = status
        self.dedupe_window = dedupe_window
        self._trim_seen()
        return self._reply(_MARKET_CREATE, _OK, 0, 0)

    def control(self, command: int) -> Output:
        if command == _SNAPSHOT:
            self.snapshot_requested = True
            self.book.events.append((EventType.SNAPSHOT, self.state_hash()))
            return self._reply(command, _OK, 0, 0)
        if self.status == _UNKNOWN:
            return self._reply(command, ResultCode.MARKET_UNKNOWN, 0, 0)
        self.status = _HALTED if command == _HALT else _TRADING
        return self._reply(command, _OK, 0, 0)

    # --- internals -------------------------------------------------------------------

    def _execute(self, order: Order) -> None:
        book = self.book
        start = len(book.events)
        fok_fails = order.tif == _FOK and not book.fok_fillable(order)
        reason = _EXPIRED if fok_fails else book.execute(order)
        if reason != RESTED:
            book.events.append(
                (_DONE, order.id, order.user, reason, order.qty, order.quote, order.lock)
            )
        if self.links:
            self._cut_lists(start)

    def _cut_lists(self, start: int) -> None:
        """Cancel the other leg of every OCO leg that traded or left the book in the
        events since ``start`` (a maker hit, an STP expiry)."""
        links = self.links
        for event in self.book.events[start:]:
            kind = event[0]
            if kind == _TRADE:
                if event[8] in links:
                    self._cut_list(event[8])
            elif kind == _DONE and event[1] in links:
                self._cut_list(event[1])

    def _cut_list(self, order_id: int) -> None:
        """The leg ``order_id`` acted (traded, triggered, left): cancel its other leg.

        The other leg's DONE reports no unused lock: the list's one lock stays with
        the leg that acted (or is reported by its own DONE)."""
        sibling = self.links.pop(order_id, 0)
        if not sibling:
            return
        del self.links[sibling]
        other = self.book.remove(sibling)
        assert other is not None
        self.book.events.append((_DONE, other.id, other.user, _CANCELED, other.qty, other.quote, 0))

    def _trigger_stops(self, at: int) -> None:
        """Run triggered stops as new takers until the last price triggers no more.

        `at` is the index of the step's first event: before each look at the last
        price, activated trailing stops follow the trades since then. A trailing stop
        that reaches its activation price starts trailing from the last price.
        """
        book = self.book
        trailing = self.trailing
        while True:
            if trailing:
                self._follow_trades(at)
            order = book.pop_triggered()
            if order is None:
                return
            if order.trail:
                if not order.peak:
                    order.peak = book.last_price
                    order.stop = trailing_stop(order.side, order.peak, order.trail)
                    trailing[order.id] = order
                    book.add_stop(order)
                    at = len(book.events)
                    continue
                del trailing[order.id]
                order.trail = 0
                order.peak = 0
            book.events.append((_STOP_TRIGGERED, order.id, order.user, book.last_price))
            if order.id in self.links:
                self._cut_list(order.id)
            order.type = LIMIT if order.type in _LIMIT_PRICED else MARKET
            order.stop = 0
            # Time priority counts from the trigger, like a fresh order.
            order.seq = self.next_seq
            self.next_seq += 1
            at = len(book.events)
            self._execute(order)

    def _follow_trades(self, at: int) -> None:
        """Move each activated trailing stop after the trades in `book.events[at:]`.

        A sell trails the highest trade price, a buy the lowest; the order keeps its
        place among stops of equal stop price (its seq is unchanged).
        """
        book = self.book
        low = high = 0
        for event in book.events[at:]:
            if event[0] == _TRADE:
                p = event[2]
                assert type(p) is int
                if not high or p > high:
                    high = p
                if not low or p < low:
                    low = p
        if not high:
            return
        trailing = self.trailing
        for oid, order in list(trailing.items()):
            if book.get(oid) is not order:  # canceled or replaced since
                del trailing[oid]
                continue
            peak = order.peak
            best = high if order.side == SELL else low
            if (best > peak) if order.side == SELL else (best < peak):
                book.remove(oid)
                order.peak = best
                order.stop = trailing_stop(order.side, best, order.trail)
                book.add_stop(order)

    def _cancel(self, order_id: int) -> None:
        order = self.book.remove(order_id)
        assert order is not None
        self.book.events.append(
            (_DONE, order.id, order.user, _CANCELED, order.qty, order.quote, order.lock)
        )
        if order_id in self.links:
            self._cut_list(order_id)

    def _remember(self, order_id: int) -> None:
        """Add a new order id to the dedupe window: a later PLACE of it is a DUPLICATE."""
        self.seen.add(order_id)
        seen_order = self.seen_order
        seen_order.append(order_id)
        if len(seen_order) > self.dedupe_window:
            self._trim_seen()

    def _trim_seen(self) -> None:
        seen_order = self.seen_order
        while len(seen_order) > self.dedupe_window:
            evicted = seen_order.popleft()
            self.seen.discard(evicted)
            if evicted > self.seen_floor:
                self.seen_floor = evicted

    def _reply(self, command: int, result: int, order_id: int, user_id: int) -> Output:
        """Drain the book's events and touched levels into one output entry."""
        book = self.book
        events: list[Event] | tuple[Event, ...] = book.events
        if events:
            book.events = []
        else:
            events = _NO_EVENTS
        if not book.touched:
            return [VERSION, command, result, order_id, user_id, events, _NO_EVENTS, 0, 0]
        levels = book.take_level_changes()
        first = self.book_seq + 1
        self.book_seq += len(levels)
        return [VERSION, command, result, order_id, user_id, events, levels, first, self.book_seq]

    # --- state -----------------------------------------------------------------------

    def canonical_state(self) -> list[object]:
        return [
            self.symbol,
            self.status,
            self.book_seq,
            self.dedupe_window,
            self.seen_floor,
            list(self.seen_order),
            self.book.canonical_state(),
            self._link_pairs(),
        ]

    def _link_pairs(self) -> list[list[int]]:
        """The OCO pairs, each [lower id, higher id], ascending."""
        return [[a, b] for a, b in sorted(self.links.items()) if a < b]

    def state_hash(self) -> str:
        """Return a digest of everything that can influence future outputs."""
        blob: bytes = msgpack.packb(self.canonical_state())
        return hashlib.blake2b(blob, digest_size=16).hexdigest()

    def validate_internal_state(self) -> None:
        self.book.validate_internal_state()
        if len(self.seen) != len(self.seen_order) or len(self.seen) > self.dedupe_window:
            raise InternalStateError("dedupe window and its index disagree")
        for a, b in self.links.items():
            leg, other = self.book.get(a), self.book.get(b)
            if self.links.get(b) != a or leg is None or other is None or leg.user != other.user:
                raise InternalStateError(f"OCO link {a} -> {b} is not a pair of open orders")

    def to_snapshot(self) -> dict[str, Any]:
        """Return the market state as plain data (msgpack-able, versioned)."""
        book = self.book
        return {
            "v": SNAPSHOT_VERSION,
            "symbol": self.symbol,
            "status": self.status,
            "book_seq": self.book_seq,
            "dedupe_window": self.dedupe_window,
            "seen_floor": self.seen_floor,
            "seen": list(self.seen_order),
            "trade_seq": book.trade_seq,
            "last_price": book.last_price,
            "orders": [o.fields() for o in book.resting_orders()],
            # In arrival order: a trailing stop that activates changes direction, and
            # among equal stop prices the older fires first, across both directions.
            "stops": [o.fields() for o in sorted(book.stop_orders(), key=_arrival)],
            "links": self._link_pairs(),
        }

    @classmethod
    def from_snapshot(cls, state: dict[str, Any], book: OrderBook | None = None) -> Market:
        """Rebuild a market from `to_snapshot()` data; priorities follow the listed order."""
        if state.get("v") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported snapshot version {state.get('v')!r}")
        market = cls(state["symbol"], book)
        market.status = state["status"]
        market.book_seq = state["book_seq"]
        market.dedupe_window = state["dedupe_window"]
        market.seen_floor = state["seen_floor"]
        market.seen_order = deque(state["seen"])
        market.seen = set(market.seen_order)
        b = market.book
        b.trade_seq = state["trade_seq"]
        b.last_price = state["last_price"]
        for fields in state["orders"]:
            b.rest(Order.from_fields(fields, market._take_seq()))
        for fields in state["stops"]:
            order = Order.from_fields(fields, market._take_seq())
            b.add_stop(order)
            if order.peak:
                market.trailing[order.id] = order
        for a, b_id in state.get("links", ()):
            market.links[a] = b_id
            market.links[b_id] = a
        b.touched.clear()
        return market

    def _take_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq
