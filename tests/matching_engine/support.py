"""Helpers for driving a Market through its wire format in tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from matching_engine.book import OrderBook
from matching_engine.market import Market
from matching_engine.protocol import (
    DoneReason,
    EventType,
    OrderType,
    ResultCode,
    SelfTradePrevention,
    Side,
    TimeInForce,
    encode_cancel,
    encode_cancel_all,
    encode_halt,
    encode_market_create,
    encode_place,
    encode_resume,
    encode_snapshot_request,
)

SYMBOL = "BTCUSDT"
BUY = Side.BUY
SELL = Side.SELL


@dataclass
class Trade:
    seq: int
    price: int
    qty: int
    quote: int
    taker_side: int
    taker: int
    taker_user: int
    maker: int
    maker_user: int


@dataclass
class Done:
    order: int
    user: int
    reason: DoneReason
    remaining_qty: int
    remaining_quote: int
    unused_lock: int


@dataclass
class Reply:
    command: int
    result: ResultCode
    order_id: int
    user_id: int
    events: list[list[Any]]
    levels: list[tuple[int, int, int]]
    first_update: int
    last_update: int

    @property
    def trades(self) -> list[Trade]:
        return [Trade(*e[1:]) for e in self.events if e[0] == EventType.TRADE]

    @property
    def dones(self) -> list[Done]:
        return [
            Done(e[1], e[2], DoneReason(e[3]), e[4], e[5], e[6])
            for e in self.events
            if e[0] == EventType.DONE
        ]

    def done(self, order_id: int) -> Done:
        (found,) = [d for d in self.dones if d.order == order_id]
        return found

    @property
    def triggered(self) -> list[int]:
        return [e[1] for e in self.events if e[0] == EventType.STOP_TRIGGERED]

    @property
    def event_types(self) -> list[EventType]:
        return [EventType(e[0]) for e in self.events]


def decode_reply(blob: bytes) -> Reply:
    v, c, r, oid, uid, events, levels, first, last = msgpack.unpackb(blob)
    assert v == 1
    return Reply(c, ResultCode(r), oid, uid, events, [tuple(lv) for lv in levels], first, last)


class Driver:
    """Send commands to a Market as encoded blobs; validate the book after each one."""

    def __init__(self, book: OrderBook, *, create: bool = True) -> None:
        self.market = Market(SYMBOL, book)
        self.outputs: list[bytes] = []
        if create:
            assert self.send(encode_market_create(symbol=SYMBOL)).result == ResultCode.OK

    def send(self, blob: bytes) -> Reply:
        out = self.market.apply(blob)
        self.outputs.append(out)
        self.market.validate_internal_state()
        return decode_reply(out)

    def limit(
        self,
        oid: int,
        uid: int,
        side: int,
        price: int,
        qty: int,
        *,
        tif: int = TimeInForce.GTC,
        stp: int = SelfTradePrevention.NONE,
        lock: int | None = None,
        maker_only: bool = False,
    ) -> Reply:
        if lock is None:
            lock = price * qty if side == BUY else qty
        return self.send(
            encode_place(
                order_id=oid,
                user_id=uid,
                side=side,
                order_type=OrderType.LIMIT_MAKER if maker_only else OrderType.LIMIT,
                time_in_force=tif,
                price=price,
                quantity=qty,
                lock=lock,
                stp=stp,
            )
        )

    def market_order(
        self,
        oid: int,
        uid: int,
        side: int,
        *,
        qty: int = 0,
        quote: int = 0,
        lock: int,
        stp: int = SelfTradePrevention.NONE,
    ) -> Reply:
        return self.send(
            encode_place(
                order_id=oid,
                user_id=uid,
                side=side,
                order_type=OrderType.MARKET,
                quantity=qty,
                quote_amount=quote,
                lock=lock,
                stp=stp,
            )
        )

    def stop(
        self,
        oid: int,
        uid: int,
        side: int,
        order_type: OrderType,
        stop: int,
        *,
        price: int = 0,
        qty: int = 0,
        quote: int = 0,
        lock: int,
        tif: int = TimeInForce.GTC,
        trail: int = 0,
    ) -> Reply:
        return self.send(
            encode_place(
                order_id=oid,
                user_id=uid,
                side=side,
                order_type=order_type,
                time_in_force=tif,
                price=price,
                quantity=qty,
                quote_amount=quote,
                stop_price=stop,
                lock=lock,
                trailing_delta=trail,
            )
        )

    def cancel(self, oid: int, uid: int) -> Reply:
        return self.send(encode_cancel(order_id=oid, user_id=uid))

    def cancel_all(self, uid: int) -> Reply:
        return self.send(encode_cancel_all(user_id=uid))

    def halt(self) -> Reply:
        return self.send(encode_halt())

    def resume(self) -> Reply:
        return self.send(encode_resume())

    def snapshot(self) -> Reply:
        return self.send(encode_snapshot_request())

    def depth(self, side: int) -> list[tuple[int, int]]:
        return self.market.book.depth(side, 100)


@dataclass
class _Tracked:
    side: int
    limit_price: int
    is_limit: bool
    qty: int
    quote: int
    lock: int
    filled_qty: int = 0
    filled_quote: int = 0


class Ledger:
    """An independent model of every order's funds, fed with commands and their outputs.

    Checks conservation: for each order, filled + remaining = ordered, spent + unused =
    locked, spent never above the lock, a limit never traded through, one DONE per order,
    trade and book update sequences without gaps. OCO legs (PLACE_LIST) share one
    lock: the leg canceled because the other acted spends nothing and reports no
    unused lock, in the entry where the other acted; the other reports the lock.
    """

    def __init__(self) -> None:
        self.links: dict[int, int] = {}
        self.open: dict[int, _Tracked] = {}
        self.finished: set[int] = set()
        self.trade_seq = 0
        self.book_seq = 0

    def _spent(self, o: _Tracked) -> int:
        return o.filled_quote if o.side == BUY else o.filled_qty

    def observe(self, command_blob: bytes, output_blob: bytes) -> None:
        reply = decode_reply(output_blob)
        if reply.levels:
            assert reply.first_update == self.book_seq + 1
            assert reply.last_update == reply.first_update + len(reply.levels) - 1
            self.book_seq = reply.last_update
        else:
            assert (reply.first_update, reply.last_update) == (0, 0)
        if reply.result != ResultCode.OK:
            assert reply.events == [] and reply.levels == []
            return
        if reply.command == 1:  # PLACE
            fields = msgpack.unpackb(command_blob)  # 14 fields for a trailing stop
            _, _, oid, _, side, typ, _, price, qty, quote, _, lock, _ = fields[:13]
            assert oid not in self.open and oid not in self.finished
            limit_priced = typ in (
                OrderType.LIMIT,
                OrderType.LIMIT_MAKER,
                OrderType.STOP_LOSS_LIMIT,
                OrderType.TAKE_PROFIT_LIMIT,
            )
            self.open[oid] = _Tracked(side, price, limit_priced, qty, quote, lock)
        if reply.command == 9:  # AMEND: the lots it removed, and what they would have cost
            _, _, oid, _, old_qty, new_qty = msgpack.unpackb(command_blob)
            o = self.open[oid]
            rest = o.qty - o.filled_qty
            removed = rest - (new_qty - (old_qty - rest))
            assert 0 < removed < rest
            o.qty -= removed
            o.lock -= o.limit_price * removed if o.side == BUY else removed
        if reply.command == 10:  # PLACE_LIST
            fields = msgpack.unpackb(command_blob)
            lock = fields[3]
            legs = (fields[4:13], fields[13:22])
            for oid, side, typ, _, price, qty, quote, _, _ in legs:
                assert oid not in self.open and oid not in self.finished
                limit_priced = typ in (
                    OrderType.LIMIT_MAKER,
                    OrderType.STOP_LOSS_LIMIT,
                    OrderType.TAKE_PROFIT_LIMIT,
                )
                self.open[oid] = _Tracked(side, price, limit_priced, qty, quote, lock)
            self.links[legs[0][0]], self.links[legs[1][0]] = legs[1][0], legs[0][0]
        acted: set[int] = set()
        for event in reply.events:
            if event[0] == EventType.STOP_TRIGGERED:
                acted.add(event[1])
            elif event[0] == EventType.TRADE:
                acted.update((event[6], event[8]))
                t = Trade(*event[1:])
                assert t.seq == self.trade_seq + 1
                self.trade_seq = t.seq
                assert t.qty > 0 and t.quote == t.price * t.qty
                taker, maker = self.open[t.taker], self.open[t.maker]
                assert taker.side == t.taker_side and maker.side != taker.side
                assert maker.is_limit and maker.limit_price == t.price
                if taker.is_limit:
                    assert (
                        t.price <= taker.limit_price
                        if taker.side == BUY
                        else t.price >= (taker.limit_price)
                    )
                for o in (taker, maker):
                    o.filled_qty += t.qty
                    o.filled_quote += t.quote
                    assert self._spent(o) <= o.lock
                    if o.qty:
                        assert o.filled_qty <= o.qty
                    else:
                        assert o.filled_quote <= o.quote
            elif event[0] == EventType.DONE:
                done = Done(event[1], event[2], DoneReason(event[3]), *event[4:])
                o = self.open.pop(done.order)
                self.finished.add(done.order)
                other = self.links.pop(done.order, None)
                if other == -1:  # the other leg ended first, in this entry: this one is cut
                    assert done.reason == DoneReason.CANCELED and done.unused_lock == 0
                    assert self._spent(o) == 0
                    continue
                if other is not None:
                    del self.links[other]
                    if done.unused_lock == 0 and self._spent(o) == 0:
                        # canceled because the other leg traded or triggered: its lock
                        assert done.reason == DoneReason.CANCELED
                        assert other in acted and other in self.open
                        continue
                    self.links[other] = -1  # ended first: the other is cut in this entry
                acted.add(done.order)
                if o.qty:
                    assert done.remaining_qty == o.qty - o.filled_qty
                    assert done.remaining_quote == 0
                else:
                    assert done.remaining_quote == o.quote - o.filled_quote
                    assert done.remaining_qty == 0
                assert done.unused_lock == o.lock - self._spent(o)
                if done.reason == DoneReason.FILLED and o.qty:
                    assert done.remaining_qty == 0
        # a leg's other leg is canceled in the same entry as it acts
        assert -1 not in self.links.values()
        for a, b in self.links.items():
            assert a in self.open and b in self.open and a not in acted

    def check_open_orders(self, market: Market) -> None:
        book = market.book
        in_book = {o.id for o in book.resting_orders()} | {o.id for o in book.stop_orders()}
        assert in_book == set(self.open)
        for o in book.resting_orders():
            tracked = self.open[o.id]
            assert o.qty == tracked.qty - tracked.filled_qty
            assert o.lock == tracked.lock - self._spent(tracked)
