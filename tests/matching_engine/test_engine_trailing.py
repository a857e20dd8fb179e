"""Trailing stops (trailingDelta in BIPS) on both books and through snapshot + replay."""

from __future__ import annotations

import msgpack

from matching_engine.book import OrderBook
from matching_engine.market import Market
from matching_engine.order import trailing_stop
from matching_engine.protocol import DoneReason, OrderType, ResultCode, TimeInForce, encode_place
from tests.matching_engine.support import BUY, SELL, Driver, Reply

TAKER = 101  # the user who makes the price path
MAKER = 100
_next = iter(range(1000, 10**6))


def trade_at(d: Driver, price: int) -> Reply:
    """Make one trade of 1 lot at `price`: a maker's ask taken by an IOC buy."""
    d.limit(next(_next), MAKER, SELL, price, 1)
    return d.limit(next(_next), TAKER, BUY, price, 1, tif=TimeInForce.IOC)


def stop_of(d: Driver, oid: int) -> tuple[int, int]:
    order = d.market.book.get(oid)
    assert order is not None
    return order.stop, order.peak


def test_trailing_stop_price_is_exact_in_integers() -> None:
    # 5 % below 110 is 104.5: a sell fires at 104 and below, a buy 5 % above 110 at 116 (115.5)
    assert trailing_stop(SELL, 110, 500) == 104
    assert trailing_stop(BUY, 110, 500) == 116
    assert trailing_stop(SELL, 1, 9999) == 1  # never 0: a stop price is positive
    assert trailing_stop(BUY, 100, 100) == 101


def test_sell_stop_loss_trails_the_highest_trade_and_fires_on_the_delta(d: Driver) -> None:
    # given a last price of 100 and a bid of user 50 to sell into
    trade_at(d, 100)
    d.limit(2, 50, BUY, 50, 10)
    # when user 7 places a STOP_LOSS SELL of 3 lots trailing 5 % (500 BIPS), no stop price
    placed = d.stop(7, 7, SELL, OrderType.STOP_LOSS, 0, qty=3, lock=3, trail=500)
    # then it trails at once from 100: it fires at 95
    assert placed.result == ResultCode.OK and placed.events == []
    assert stop_of(d, 7) == (95, 100)
    # and the price rises to 110: the stop follows to 104, a fall to 105 does not fire it
    trade_at(d, 110)
    assert stop_of(d, 7) == (104, 110)
    assert trade_at(d, 105).triggered == []
    assert stop_of(d, 7) == (104, 110)
    # when the price falls to 104, 5 % under the high
    reply = trade_at(d, 104)
    # then it fires as a MARKET sell of 3 lots into the bid at 50, in the same entry
    assert reply.triggered == [7]
    fills = [t for t in reply.trades if t.taker == 7]
    assert [(t.price, t.qty, t.quote, t.maker) for t in fills] == [(50, 3, 150, 2)]
    done = reply.done(7)
    assert (done.reason, done.remaining_qty, done.unused_lock) == (DoneReason.FILLED, 0, 0)
    assert d.market.book.get(7) is None and d.market.trailing == {}


def test_buy_take_profit_waits_for_its_activation_price_then_trails_the_low(d: Driver) -> None:
    # given a last price of 100 and an ask to buy from
    trade_at(d, 100)
    d.limit(2, 50, SELL, 200, 10)
    # when a TAKE_PROFIT BUY of 2 lots with activation price 90 trails 10 % (1000 BIPS)
    placed = d.stop(8, 8, BUY, OrderType.TAKE_PROFIT, 90, qty=2, lock=2 * 200, trail=1000)
    assert placed.result == ResultCode.OK
    # then at 95 it is not active; at 90 it activates and trails from 90 (fires at 99)
    trade_at(d, 95)
    assert stop_of(d, 8) == (90, 0)
    assert trade_at(d, 90).triggered == []
    assert stop_of(d, 8) == (99, 90)
    # the low of 85 moves it to 94 (93.5 up); 93 is not enough
    trade_at(d, 85)
    assert stop_of(d, 8) == (94, 85)
    assert trade_at(d, 93).triggered == []
    # when the price rises to 94 it fires as a market buy of 2 lots at the ask of 200
    reply = trade_at(d, 94)
    assert reply.triggered == [8]
    fills = [t for t in reply.trades if t.taker == 8]
    assert [(t.price, t.qty, t.quote) for t in fills] == [(200, 2, 400)]
    assert reply.done(8).reason == DoneReason.FILLED and reply.done(8).unused_lock == 0


def test_a_sweep_counts_every_trade_price_not_only_the_last(d: Driver) -> None:
    # given asks at 101, 102, 103 and a SELL trailing stop 1 % from 100
    trade_at(d, 100)
    for i, price in enumerate((101, 102, 103)):
        d.limit(20 + i, MAKER, SELL, price, 1)
    d.stop(7, 7, SELL, OrderType.STOP_LOSS_LIMIT, 0, price=90, qty=1, lock=1, trail=100)
    # when one buy takes all three levels, and a later trade prints at 102
    d.limit(30, TAKER, BUY, 103, 3)
    assert stop_of(d, 7) == (101, 103)  # 103 * 0.99 = 101.97, down to 101
    reply = trade_at(d, 102)
    # then nothing fires; at 101 the STOP_LOSS_LIMIT fires and rests as a LIMIT at 90
    assert reply.triggered == []
    reply = trade_at(d, 101)
    assert reply.triggered == [7]
    order = d.market.book.get(7)
    assert order is not None and (order.type, order.price, order.trail) == (OrderType.LIMIT, 90, 0)


def test_bad_trailing_inputs_change_nothing(d: Driver) -> None:
    before = d.market.state_hash()
    # a delta on a LIMIT, a delta of 10 000 BIPS or more, no activation price before any trade
    limit = d.send(
        encode_place(
            order_id=1, user_id=1, side=BUY, order_type=OrderType.LIMIT, price=10,
            quantity=1, lock=10, trailing_delta=100,
        )
    )  # fmt: skip
    too_wide = d.stop(2, 1, SELL, OrderType.STOP_LOSS, 5, qty=1, lock=1, trail=10_000)
    no_price = d.stop(3, 1, SELL, OrderType.STOP_LOSS, 0, qty=1, lock=1, trail=100)
    assert limit.result == ResultCode.INVALID_TRAILING_DELTA
    assert too_wide.result == ResultCode.INVALID_TRAILING_DELTA
    assert no_price.result == ResultCode.TRAILING_WITHOUT_PRICE
    assert [r.events for r in (limit, too_wide, no_price)] == [[], [], []]
    # only the dedupe window remembers the three ids
    assert d.market.book.stop_orders() == [] and d.market.state_hash() != before
    # an activation price already reached is refused as for any stop
    trade_at(d, 100)
    late = d.stop(4, 1, SELL, OrderType.STOP_LOSS, 100, qty=1, lock=1, trail=100)
    assert late.result == ResultCode.STOP_WOULD_TRIGGER


def test_cancel_removes_an_activated_trailing_stop(d: Driver) -> None:
    trade_at(d, 100)
    d.stop(7, 7, SELL, OrderType.STOP_LOSS, 0, qty=1, lock=1, trail=200)
    reply = d.cancel(7, 7)
    assert reply.done(7).reason == DoneReason.CANCELED and reply.done(7).unused_lock == 1
    # a later price path neither moves nor fires it
    trade_at(d, 120)
    assert trade_at(d, 50).triggered == [] and d.market.trailing == {}


def test_snapshot_and_replay_reproduce_trailing_state(d: Driver, book_cls: type[OrderBook]) -> None:
    # given one active and one waiting trailing stop and a bid to sell into
    trade_at(d, 100)
    d.limit(2, 50, BUY, 50, 10)
    d.stop(7, 7, SELL, OrderType.STOP_LOSS, 0, qty=2, lock=2, trail=300)
    d.stop(8, 8, SELL, OrderType.TAKE_PROFIT, 105, qty=1, lock=1, trail=100)
    trade_at(d, 106)  # activates 8 at 106 and lifts 7 to 102
    snapshot = msgpack.unpackb(msgpack.packb(d.market.to_snapshot()))
    later: list[bytes] = []
    for price in (108, 107, 104, 99):
        later.append(_place_ask(next(_next), price))
        later.append(_place_ioc_buy(next(_next), price))
    outputs = [d.market.apply(blob) for blob in later]
    # when a market restored from the snapshot replays the rest
    restored = Market.from_snapshot(snapshot, book_cls())
    replayed = [restored.apply(blob) for blob in later]
    # then the outputs and the state are identical, and both stops fired on the way
    assert replayed == outputs
    assert restored.state_hash() == d.market.state_hash()
    assert d.market.book.get(7) is None and d.market.book.get(8) is None


def _place_ask(oid: int, price: int) -> bytes:
    return encode_place(
        order_id=oid, user_id=MAKER, side=SELL, order_type=OrderType.LIMIT, price=price,
        quantity=1, lock=1,
    )  # fmt: skip


def _place_ioc_buy(oid: int, price: int) -> bytes:
    return encode_place(
        order_id=oid, user_id=TAKER, side=BUY, order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.IOC, price=price, quantity=1, lock=price,
    )  # fmt: skip
