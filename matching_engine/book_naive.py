"""Reference order book: sorted Python lists, written to be obviously correct, not fast."""

from __future__ import annotations

from .book import RESTED, InternalStateError, OrderBook, level_key
from .order import BUY, LIMIT, LIMIT_MAKER, SELL, Order, triggers_up
from .protocol import DoneReason, EventType, SelfTradePrevention, TimeInForce


class NaiveOrderBook(OrderBook):
    def __init__(self) -> None:
        super().__init__()
        self.bids: list[Order] = []  # best (highest) price first, then oldest first
        self.asks: list[Order] = []  # best (lowest) price first, then oldest first
        self.stops: list[Order] = []

    # --- helpers -------------------------------------------------------------

    def _sort(self) -> None:
        self.bids.sort(key=lambda o: (-o.price, o.seq))
        self.asks.sort(key=lambda o: (o.price, o.seq))

    def _side_list(self, side: int) -> list[Order]:
        return self.bids if side == BUY else self.asks

    def _touch(self, o: Order) -> None:
        self.touched[level_key(o.side, o.price)] = None

    def _done(self, o: Order, reason: int) -> None:
        self.events.append((EventType.DONE, o.id, o.user, reason, o.qty, o.quote, o.lock))

    @staticmethod
    def _is_limit(o: Order) -> bool:
        return o.type in (LIMIT, LIMIT_MAKER)

    def _crosses(self, taker: Order, maker_price: int) -> bool:
        if not self._is_limit(taker):
            return True
        if taker.side == BUY:
            return maker_price <= taker.price
        return maker_price >= taker.price

    # --- matching ------------------------------------------------------------

    def execute(self, taker: Order) -> int:
        opposite = self.asks if taker.side == BUY else self.bids
        while True:
            if taker.qty == 0 and taker.quote == 0:
                return DoneReason.FILLED
            if not opposite or not self._crosses(taker, opposite[0].price):
                break
            maker = opposite[0]
            if maker.user == taker.user and taker.stp != SelfTradePrevention.NONE:
                if taker.stp in (SelfTradePrevention.EXPIRE_MAKER, SelfTradePrevention.EXPIRE_BOTH):
                    opposite.pop(0)
                    self._touch(maker)
                    self._done(maker, DoneReason.STP_EXPIRED)
                if taker.stp in (SelfTradePrevention.EXPIRE_TAKER, SelfTradePrevention.EXPIRE_BOTH):
                    return DoneReason.STP_EXPIRED
                continue
            price = maker.price
            # How much the taker still wants at this price, and how much its lock pays for.
            target = taker.qty if taker.qty > 0 else taker.quote // price
            affordable = taker.lock // price if taker.side == BUY else taker.lock
            if target == 0:
                return DoneReason.FILLED
            if affordable == 0:
                return DoneReason.LOCK_EXHAUSTED
            qty = min(maker.qty, target, affordable)
            quote = price * qty
            self.trade_seq += 1
            self.last_price = price
            self.events.append(
                (
                    EventType.TRADE,
                    self.trade_seq,
                    price,
                    qty,
                    quote,
                    taker.side,
                    taker.id,
                    taker.user,
                    maker.id,
                    maker.user,
                )
            )
            if taker.qty > 0:
                taker.qty -= qty
            else:
                taker.quote -= quote
            taker.lock -= quote if taker.side == BUY else qty
            maker.qty -= qty
            maker.lock -= quote if maker.side == BUY else qty
            self._touch(maker)
            if maker.qty == 0:
                opposite.pop(0)
                self._done(maker, DoneReason.FILLED)
        if self._is_limit(taker) and taker.tif == TimeInForce.GTC:
            self.rest(taker)
            return RESTED
        return DoneReason.EXPIRED

    def would_take(self, side: int, price: int) -> bool:
        opposite = self.asks if side == BUY else self.bids
        if not opposite:
            return False
        best = opposite[0].price
        return best <= price if side == BUY else best >= price

    def fok_fillable(self, taker: Order) -> bool:
        available = 0
        for maker in self.asks if taker.side == BUY else self.bids:
            if not self._crosses(taker, maker.price):
                break
            if maker.user == taker.user and taker.stp != SelfTradePrevention.NONE:
                if taker.stp == SelfTradePrevention.EXPIRE_MAKER:
                    continue
                break
            available += maker.qty
        return available >= taker.qty

    def rest(self, order: Order) -> None:
        self._side_list(order.side).append(order)
        self._sort()
        self._touch(order)

    # --- lookup and removal --------------------------------------------------

    def _all(self) -> list[Order]:
        return self.bids + self.asks + self.stops

    def get(self, order_id: int) -> Order | None:
        for o in self._all():
            if o.id == order_id:
                return o
        return None

    def remove(self, order_id: int) -> Order | None:
        for lst in (self.bids, self.asks, self.stops):
            for i, o in enumerate(lst):
                if o.id == order_id:
                    del lst[i]
                    if lst is not self.stops:
                        self._touch(o)
                    return o
        return None

    def reduce(self, order_id: int, qty: int) -> None:
        for o in self.bids + self.asks:
            if o.id == order_id:
                assert 0 < qty < o.qty
                o.qty = qty
                self._touch(o)
                return
        raise KeyError(order_id)

    def user_order_ids(self, user_id: int) -> list[int]:
        return sorted(o.id for o in self._all() if o.user == user_id)

    # --- stops ---------------------------------------------------------------

    def add_stop(self, order: Order) -> None:
        self.stops.append(order)

    def _rising(self) -> list[Order]:
        return sorted(
            (o for o in self.stops if triggers_up(o)),
            key=lambda o: (o.stop, o.seq),
        )

    def _falling(self) -> list[Order]:
        return sorted(
            (o for o in self.stops if not triggers_up(o)),
            key=lambda o: (-o.stop, o.seq),
        )

    def pop_triggered(self) -> Order | None:
        last = self.last_price
        if last == 0:
            return None
        candidates = [o for o in self._rising() if o.stop <= last]
        if not candidates:
            candidates = [o for o in self._falling() if o.stop >= last]
        if not candidates:
            return None
        order = candidates[0]
        self.stops.remove(order)
        return order

    def stop_orders(self) -> list[Order]:
        return self._rising() + self._falling()

    # --- views ---------------------------------------------------------------

    def level_qty(self, key: int) -> int:
        side = BUY if key > 0 else SELL
        return sum(o.qty for o in self._side_list(side) if o.price == abs(key))

    def depth(self, side: int, limit: int) -> list[tuple[int, int]]:
        levels: list[tuple[int, int]] = []
        for o in self._side_list(side):
            if levels and levels[-1][0] == o.price:
                levels[-1] = (o.price, levels[-1][1] + o.qty)
            elif len(levels) == limit:
                break
            else:
                levels.append((o.price, o.qty))
        return levels

    def resting_orders(self) -> list[Order]:
        return self.bids + self.asks

    def validate_internal_state(self) -> None:
        self.check_common_invariants()
        if [o.seq for o in self.bids] != [
            o.seq for o in sorted(self.bids, key=lambda o: (-o.price, o.seq))
        ]:
            raise InternalStateError("bids out of priority order")
        if [o.seq for o in self.asks] != [
            o.seq for o in sorted(self.asks, key=lambda o: (o.price, o.seq))
        ]:
            raise InternalStateError("asks out of priority order")
        if any(o.side != BUY for o in self.bids) or any(o.side != SELL for o in self.asks):
            raise InternalStateError("order on the wrong side")
