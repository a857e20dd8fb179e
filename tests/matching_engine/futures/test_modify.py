"""MODIFY (Binance's PUT /fapi/v1/order) on both books and through snapshot + replay:
lowering only the quantity keeps the queue place, any other change re-queues."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from matching_engine.book import OrderBook
from matching_engine.book_fast import FastOrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import DoneReason, FuturesEvent, FuturesResult
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    for user in (1, 2, 3):
        d.deposit(user, usdt(100_000))
    return d


def modify(f: FDriver, order_id: int, user: int, price: int, old: int, new: int) -> list[Any]:
    return f.send(
        fp.encode_modify(order_id=order_id, user_id=user, price=price, old_qty=old, new_qty=new)
    )


def queue(f: FDriver, price: int) -> list[int]:
    """Ids of the bids at `price`, first in line first."""
    return [o.id for o in f.group.books[BTC].resting_orders() if o.price == price and o.side == 0]


def test_lowering_only_the_quantity_keeps_the_queue_place(f: FDriver) -> None:
    # given two bids at one price, user 1's first
    first = f.place(1, BUY, px(59_000), 1000)[3]
    second = f.place(2, BUY, px(59_000), 1000)[3]
    reserved = f.group.accounts[1].reserved
    # when user 1 lowers its quantity
    out = modify(f, first, 1, px(59_000), 1000, 400)
    # then it is still first in line, rests 400 and reserves less
    assert out[2] == FuturesResult.OK
    assert events_of(out, FuturesEvent.AMENDED) == [
        [FuturesEvent.AMENDED, first, 1, BTC, px(59_000), 400, 400, 1]
    ]
    assert queue(f, px(59_000)) == [first, second]
    assert out[6] == [[BTC, BUY, px(59_000), 1400]]
    assert f.group.accounts[1].reserved < reserved
    # and a seller meets user 1 first
    trade = events_of(f.place(3, SELL, px(59_000), 400), FuturesEvent.TRADE)
    assert [(e[8], e[4]) for e in trade] == [(first, 400)]


@pytest.mark.parametrize(("price", "qty"), [(px(59_000), 1500), (px(59_100), 1000)])
def test_raising_the_quantity_or_changing_the_price_loses_the_place(
    f: FDriver, price: int, qty: int
) -> None:
    first = f.place(1, BUY, px(59_000), 1000)[3]
    waiting = {
        px(59_000): f.place(2, BUY, px(59_000), 1000)[3],
        px(59_100): f.place(2, BUY, px(59_100), 1000)[3],
    }
    # when
    out = modify(f, first, 1, price, 1000, qty)
    # then the order (same id) waits behind the order already at its new price
    assert out[2] == FuturesResult.OK
    assert events_of(out, FuturesEvent.AMENDED)[0][-1] == 0
    assert queue(f, price) == [waiting[price], first]


def test_a_re_queued_order_that_crosses_trades_at_once(f: FDriver) -> None:
    ask = f.place(2, SELL, px(60_100), 500)[3]
    bid = f.place(1, BUY, px(59_000), 1000)[3]
    out = modify(f, bid, 1, px(60_100), 1000, 1000)
    trades = events_of(out, FuturesEvent.TRADE)
    assert [(e[6], e[8], e[4]) for e in trades] == [(bid, ask, 500)]
    # the AMENDED event comes before the trades it caused
    kinds = [e[0] for e in out[5]]
    assert kinds.index(FuturesEvent.AMENDED) < kinds.index(FuturesEvent.TRADE)
    assert f.group.books[BTC].get(bid).qty == 500


def test_the_new_quantity_counts_what_has_filled(f: FDriver) -> None:
    bid = f.place(1, BUY, px(59_000), 1000)[3]
    f.place(2, SELL, px(59_000), 300)  # 300 of the 1000 fill
    # when the original quantity goes to 800, 500 are left
    out = modify(f, bid, 1, px(59_000), 1000, 800)
    assert events_of(out, FuturesEvent.AMENDED)[0][5:] == [800, 500, 1]
    # and a new quantity not above what filled cancels the order, as on Binance
    out = modify(f, bid, 1, px(59_000), 800, 300)
    assert out[2] == FuturesResult.OK
    assert events_of(out, FuturesEvent.DONE) == [
        [FuturesEvent.DONE, bid, 1, DoneReason.CANCELED, 500]
    ]
    assert f.group.books[BTC].get(bid) is None


def test_a_refused_modify_leaves_the_order_as_it_was(f: FDriver) -> None:
    bid = f.place(1, BUY, px(59_000), 1000)[3]
    state = f.group.state_hash()
    # far more than 100,000 USDT of margin at 20x
    out = modify(f, bid, 1, px(59_000), 1000, 100_000)
    assert out[2] == FuturesResult.INSUFFICIENT_MARGIN and out[5] == []
    assert f.group.state_hash() == state
    assert modify(f, bid, 2, px(59_000), 1000, 10)[2] == FuturesResult.USER_MISMATCH
    assert modify(f, 999, 1, px(59_000), 1000, 10)[2] == FuturesResult.UNKNOWN_ORDER
    assert f.group.state_hash() == state


def test_a_post_only_order_repriced_through_the_book_is_expired(f: FDriver) -> None:
    f.place(2, SELL, px(60_100), 500)
    bid = f.place(1, BUY, px(59_000), 1000, order_type=fp.FuturesOrderType.LIMIT_MAKER)[3]
    out = modify(f, bid, 1, px(60_100), 1000, 1000)
    assert out[2] == FuturesResult.POST_ONLY_WOULD_TAKE
    assert events_of(out, FuturesEvent.DONE)[0][3] == DoneReason.EXPIRED
    assert events_of(out, FuturesEvent.TRADE) == []


def test_modify_replays_from_a_snapshot_to_the_same_state(book_cls: type[OrderBook]) -> None:
    # given a group that took a snapshot in the middle
    f = FDriver(book_cls)
    f.mark(px(60_000))
    for user in (1, 2):
        f.deposit(user, usdt(100_000))
    a = f.place(1, BUY, px(59_000), 1000)[3]
    b = f.place(2, BUY, px(59_000), 1000)[3]
    snapshot = msgpack.packb(f.group.to_snapshot())
    tail = [
        fp.encode_modify(order_id=a, user_id=1, price=px(59_000), old_qty=1000, new_qty=600),
        fp.encode_modify(order_id=b, user_id=2, price=px(59_050), old_qty=1000, new_qty=1000),
        fp.encode_place(
            order_id=50, user_id=1, contract=BTC, side=SELL, price=px(59_000), quantity=700
        ),
    ]
    outputs = [f.send(blob) for blob in tail]
    # when the snapshot is restored and the tail replayed
    restored = MarginGroup.from_snapshot(msgpack.unpackb(snapshot), FastOrderBook)
    replayed = [msgpack.unpackb(restored.apply(blob)) for blob in tail]
    # then outputs and state are the same
    assert replayed == outputs
    assert restored.state_hash() == f.group.state_hash()
