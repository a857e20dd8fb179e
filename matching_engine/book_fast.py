"""Fast order book: price levels as intrusive doubly linked lists of orders.

Layout:
* `_levels` maps a signed level key (+price for bids, -price for asks) to its `_Level`.
* `_bid_keys` / `_ask_keys` hold the keys of each side in ascending order, so the best
  level of either side is the LAST element: pop() when it empties is O(1), and new
  levels (usually near the touch) are inserted with bisect close to the end.
* `_orders` maps order id to resting order, `_by_user` user id to that user's resting
  and stop order ids (CANCEL_ALL is O(user's orders)).
* Stops sit in two sorted key lists whose last element fires next.

The matching loop binds attributes to locals and emits plain tuples; it is the hot path.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Final, cast

from .book import RESTED, InternalStateError, OrderBook
from .order import BUY, LIMIT_MAKER, Order, triggers_up
from .protocol import DoneReason, EventType, SelfTradePrevention, TimeInForce

_TRADE: Final = int(EventType.TRADE)
_DONE: Final = int(EventType.DONE)
_FILLED: Final = int(DoneReason.FILLED)
_EXPIRED: Final = int(DoneReason.EXPIRED)
_STP_EXPIRED: Final = int(DoneReason.STP_EXPIRED)
_LOCK_EXHAUSTED: Final = int(DoneReason.LOCK_EXHAUSTED)
_EXPIRE_TAKER: Final = int(SelfTradePrevention.EXPIRE_TAKER)
_EXPIRE_MAKER: Final = int(SelfTradePrevention.EXPIRE_MAKER)
_GTC: Final = int(TimeInForce.GTC)
_MIN_KEY: Final = -(1 << 64)  # below every level key: a market order crosses everything


class _Level:
    __slots__ = ("key", "total", "head", "tail")

    def __init__(self, key: int) -> None:
        self.key = key
        self.total = 0
        self.head: Order | None = None
        self.tail: Order | None = None


class FastOrderBook(OrderBook):
    def __init__(self) -> None:
        super().__init__()
        self._levels: dict[int, _Level] = {}
        self._bid_keys: list[int] = []
        self._ask_keys: list[int] = []
        self._orders: dict[int, Order] = {}
        self._by_user: dict[int, dict[int, None]] = {}
        self._stops: dict[int, Order] = {}
        self._stop_by_seq: dict[int, Order] = {}
        self._rising_keys: list[tuple[int, int]] = []  # (-stop, -seq): lowest stop fires first
        self._falling_keys: list[tuple[int, int]] = []  # (stop, -seq): highest stop fires first

    # --- matching ------------------------------------------------------------

    def execute(self, taker: Order) -> int:
        side = taker.side
        is_limit = taker.type <= LIMIT_MAKER
        if side == BUY:
            opp_keys = self._ask_keys
            limit_key = -taker.price if is_limit else _MIN_KEY
        else:
            opp_keys = self._bid_keys
            limit_key = taker.price if is_limit else _MIN_KEY
        # A limit order, or a sell sized in base, never hits its lock: skip the budget maths.
        simple = taker.quote == 0 and (is_limit or side != BUY)
        levels = self._levels
        orders = self._orders
        events = self.events
        touched = self.touched
        tid = taker.id
        uid = taker.user
        stp = taker.stp
        while opp_keys:
            key = opp_keys[-1]
            if key < limit_key:
                break
            level = levels[key]
            maker = level.head
            assert maker is not None
            if stp and maker.user == uid:
                if stp != _EXPIRE_TAKER:
                    self._unlink(maker)
                    touched[key] = level
                    events.append((_DONE, maker.id, uid, _STP_EXPIRED, maker.qty, 0, maker.lock))
                    if stp == _EXPIRE_MAKER:
                        continue
                return _STP_EXPIRED
            price = key if key > 0 else -key
            if simple:
                want = taker.qty
            else:
                want = taker.qty if taker.qty else taker.quote // price
                if want == 0:
                    return _FILLED
                cap = taker.lock // price if side == BUY else taker.lock
                if cap == 0:
                    return _LOCK_EXHAUSTED
                if cap < want:
                    want = cap
            mqty = maker.qty
            qty = mqty if mqty < want else want
            quote = price * qty
            seq = self.trade_seq + 1
            self.trade_seq = seq
            self.last_price = price
            events.append((_TRADE, seq, price, qty, quote, side, tid, uid, maker.id, maker.user))
            if taker.quote:
                taker.quote -= quote
            else:
                taker.qty -= qty
            if side == BUY:
                taker.lock -= quote
                maker.lock -= qty
            else:
                taker.lock -= qty
                maker.lock -= quote
            level.total -= qty
            touched[key] = level
            if qty == mqty:
                maker.qty = 0
                # The head of the best level leaves: cheaper than the general _unlink.
                nxt = maker.next
                if nxt is None:
                    del levels[key]
                    opp_keys.pop()
                    level.head = level.tail = None
                else:
                    nxt.prev = None
                    level.head = nxt
                    maker.next = None
                maker.level = None  # no reference cycle left for the cyclic GC
                del orders[maker.id]
                self._forget_user_order(maker.user, maker.id)
                events.append((_DONE, maker.id, maker.user, _FILLED, 0, 0, maker.lock))
            else:
                maker.qty = mqty - qty
            if taker.qty == 0 and taker.quote == 0:
                return _FILLED
        if is_limit and taker.tif == _GTC:
            self.rest(taker)
            return RESTED
        return _EXPIRED

    def would_take(self, side: int, price: int) -> bool:
        if side == BUY:
            return bool(self._ask_keys) and -self._ask_keys[-1] <= price
        return bool(self._bid_keys) and self._bid_keys[-1] >= price

    def fok_fillable(self, taker: Order) -> bool:
        need = taker.qty
        if taker.side == BUY:
            keys = self._ask_keys
            limit_key = -taker.price
        else:
            keys = self._bid_keys
            limit_key = taker.price
        stp = taker.stp
        uid = taker.user
        for i in range(len(keys) - 1, -1, -1):
            key = keys[i]
            if key < limit_key:
                return False
            level = self._levels[key]
            if not stp:
                need -= level.total
                if need <= 0:
                    return True
                continue
            maker = level.head
            while maker is not None:
                if maker.user == uid:
                    if stp != _EXPIRE_MAKER:
                        return False
                else:
                    need -= maker.qty
                    if need <= 0:
                        return True
                maker = maker.next
        return False

    def rest(self, order: Order) -> None:
        price = order.price
        if order.side == BUY:
            key = price
            keys = self._bid_keys
        else:
            key = -price
            keys = self._ask_keys
        level = self._levels.get(key)
        if level is None:
            level = _Level(key)
            self._levels[key] = level
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
            level.head = order
            order.prev = None
        else:
            tail = level.tail
            assert tail is not None
            tail.next = order
            order.prev = tail
        order.next = None
        level.tail = order
        level.total += order.qty
        order.level = level
        self._orders[order.id] = order
        self._remember_user_order(order.user, order.id)
        self.touched[key] = level

    # --- lookup and removal --------------------------------------------------

    def _remember_user_order(self, user_id: int, order_id: int) -> None:
        ids = self._by_user.get(user_id)
        if ids is None:
            self._by_user[user_id] = {order_id: None}
        else:
            ids[order_id] = None

    def _forget_user_order(self, user_id: int, order_id: int) -> None:
        ids = self._by_user[user_id]
        del ids[order_id]
        if not ids:
            del self._by_user[user_id]

    def _unlink(self, order: Order) -> None:
        """Take a resting order out of its level (any position) and out of the indexes."""
        level = order.level
        assert isinstance(level, _Level)
        prev, nxt = order.prev, order.next
        if prev is None:
            level.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            level.tail = prev
        else:
            nxt.prev = prev
        order.prev = order.next = None
        order.level = None
        level.total -= order.qty
        if level.head is None:
            key = level.key
            del self._levels[key]
            keys = self._bid_keys if key > 0 else self._ask_keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
        del self._orders[order.id]
        self._forget_user_order(order.user, order.id)

    def get(self, order_id: int) -> Order | None:
        order = self._orders.get(order_id)
        if order is None:
            return self._stops.get(order_id)
        return order

    def remove(self, order_id: int) -> Order | None:
        order = self._orders.get(order_id)
        if order is not None:
            level = order.level
            assert isinstance(level, _Level)
            self.touched[level.key] = level
            self._unlink(order)
            return order
        order = self._stops.pop(order_id, None)
        if order is None:
            return None
        if triggers_up(order):
            keys, key = self._rising_keys, (-order.stop, -order.seq)
        else:
            keys, key = self._falling_keys, (order.stop, -order.seq)
        del keys[bisect_left(keys, key)]
        del self._stop_by_seq[order.seq]
        self._forget_user_order(order.user, order.id)
        return order

    def reduce(self, order_id: int, qty: int) -> None:
        order = self._orders[order_id]
        level = order.level
        assert isinstance(level, _Level) and 0 < qty < order.qty
        level.total -= order.qty - qty
        order.qty = qty
        self.touched[level.key] = level

    def user_order_ids(self, user_id: int) -> list[int]:
        return sorted(self._by_user.get(user_id, ()))

    # --- stops ---------------------------------------------------------------

    def add_stop(self, order: Order) -> None:
        if triggers_up(order):
            insort(self._rising_keys, (-order.stop, -order.seq))
        else:
            insort(self._falling_keys, (order.stop, -order.seq))
        self._stop_by_seq[order.seq] = order
        self._stops[order.id] = order
        self._remember_user_order(order.user, order.id)

    def pop_triggered(self) -> Order | None:
        last = self.last_price
        if not last:
            return None
        rising = self._rising_keys
        if rising and -rising[-1][0] <= last:
            key = rising.pop()
        else:
            falling = self._falling_keys
            if falling and falling[-1][0] >= last:
                key = falling.pop()
            else:
                return None
        order = self._stop_by_seq.pop(-key[1])
        del self._stops[order.id]
        self._forget_user_order(order.user, order.id)
        return order

    def stop_orders(self) -> list[Order]:
        by_seq = self._stop_by_seq
        rising = [by_seq[-k[1]] for k in reversed(self._rising_keys)]
        falling = [by_seq[-k[1]] for k in reversed(self._falling_keys)]
        return rising + falling

    # --- views ---------------------------------------------------------------

    def take_level_changes(self) -> list[tuple[int, int, int]]:
        touched = cast(dict[int, _Level], self.touched)
        keys = sorted(touched, reverse=True) if len(touched) > 1 else touched
        # A touched level that emptied keeps its object with total 0: no lookup needed.
        out = [(BUY, k, touched[k].total) if k > 0 else (1, -k, touched[k].total) for k in keys]
        touched.clear()  # reused: one dict per book, not one per command
        return out

    def level_qty(self, key: int) -> int:
        level = self._levels.get(key)
        return 0 if level is None else level.total

    def depth(self, side: int, limit: int) -> list[tuple[int, int]]:
        keys = self._bid_keys if side == BUY else self._ask_keys
        out: list[tuple[int, int]] = []
        for key in reversed(keys[-limit:] if limit > 0 else []):
            out.append((abs(key), self._levels[key].total))
        return out

    def _level_orders(self, level: _Level) -> list[Order]:
        out: list[Order] = []
        order = level.head
        while order is not None:
            out.append(order)
            order = order.next
        return out

    def resting_orders(self) -> list[Order]:
        out: list[Order] = []
        for keys in (self._bid_keys, self._ask_keys):
            for key in reversed(keys):
                out.extend(self._level_orders(self._levels[key]))
        return out

    def validate_internal_state(self) -> None:
        self.check_common_invariants()
        if self._bid_keys != sorted(self._bid_keys) or self._ask_keys != sorted(self._ask_keys):
            raise InternalStateError("level keys not sorted")
        if any(k <= 0 for k in self._bid_keys) or any(k >= 0 for k in self._ask_keys):
            raise InternalStateError("level key on the wrong side")
        if sorted(self._levels) != sorted(self._bid_keys + self._ask_keys):
            raise InternalStateError("level index and key lists disagree")
        in_levels = 0
        for key, level in self._levels.items():
            if level.key != key or level.head is None or level.head.prev is not None:
                raise InternalStateError(f"level {key} malformed")
            orders = self._level_orders(level)
            if orders[-1] is not level.tail:
                raise InternalStateError(f"level {key} tail is not its last order")
            for a, b in zip(orders, orders[1:], strict=False):
                if b.prev is not a:
                    raise InternalStateError(f"level {key} back link broken at {b.id}")
            for o in orders:
                if o.level is not level or abs(key) != o.price or (key > 0) != (o.side == BUY):
                    raise InternalStateError(f"order {o.id} filed under the wrong level")
                if self._orders.get(o.id) is not o:
                    raise InternalStateError(f"order {o.id} missing from the id index")
            if level.total != sum(o.qty for o in orders):
                raise InternalStateError(f"level {key} total {level.total} != order sum")
            in_levels += len(orders)
        if in_levels != len(self._orders):
            raise InternalStateError("id index holds orders that are in no level")
        expected: dict[int, set[int]] = {}
        for o in list(self._orders.values()) + list(self._stops.values()):
            expected.setdefault(o.user, set()).add(o.id)
        if {u: set(ids) for u, ids in self._by_user.items()} != expected:
            raise InternalStateError("user index disagrees with the orders")
        if len(self._rising_keys) + len(self._falling_keys) != len(self._stops) or len(
            self._stop_by_seq
        ) != len(self._stops):
            raise InternalStateError("stop indexes disagree")
        if self._rising_keys != sorted(self._rising_keys) or self._falling_keys != sorted(
            self._falling_keys
        ):
            raise InternalStateError("stop keys not sorted")
