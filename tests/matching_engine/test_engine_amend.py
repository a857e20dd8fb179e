"""AMEND (amend keep priority), on both book implementations and through snapshot + replay."""

from __future__ import annotations

import msgpack

from matching_engine.market import Market
from matching_engine.protocol import OrderType, ResultCode, encode_amend, encode_place
from tests.matching_engine.support import BUY, SELL, Driver, decode_reply


def amend(d: Driver, oid: int, uid: int, old_qty: int, new_qty: int):  # noqa: ANN201
    return d.send(encode_amend(order_id=oid, user_id=uid, old_qty=old_qty, new_qty=new_qty))


def test_amend_keeps_the_queue_place_so_a_later_fill_takes_it_first(d: Driver) -> None:
    # given three bids at 100, the user's order 2 second in the queue
    d.limit(1, 10, BUY, 100, 1)
    d.limit(2, 11, BUY, 100, 6)
    d.limit(3, 12, BUY, 100, 4)
    # when order 2 goes from 6 to 5
    reply = amend(d, 2, 11, 6, 5)
    # then it answers OK with only the level change, and order 2 is still second
    assert (reply.command, reply.result, reply.order_id, reply.user_id) == (9, 0, 2, 11)
    assert reply.events == [] and reply.levels == [(BUY, 100, 10)]
    assert [o.id for o in d.market.book.resting_orders()] == [1, 2, 3]
    # and its lock dropped by what the removed lot would have cost
    assert d.market.book.get(2).lock == 100 * 5
    # and a sell of 3 fills order 1, then order 2, before order 3
    fills = d.limit(4, 20, SELL, 100, 3).trades
    assert [(t.maker, t.qty) for t in fills] == [(1, 1), (2, 2)]


def test_amend_of_a_partly_filled_order_counts_what_filled(d: Driver) -> None:
    # given an ask of 10 of which 4 filled
    d.limit(1, 10, SELL, 100, 10)
    d.limit(2, 20, BUY, 100, 4)
    # when its original quantity goes from 10 to 7
    reply = amend(d, 1, 10, 10, 7)
    # then 3 rest (7 - 4 filled) and the sell's lock is the 3 lots
    assert reply.result == ResultCode.OK
    assert d.depth(SELL) == [(100, 3)]
    assert d.market.book.get(1).lock == 3


def test_a_buy_keeps_its_lock_beyond_the_price(d: Driver) -> None:
    # a bid locked above price * qty keeps the excess: only price * removed is released
    d.limit(1, 10, BUY, 100, 4, lock=450)
    amend(d, 1, 10, 4, 1)
    assert d.market.book.get(1).lock == 450 - 300


def test_refusals_change_nothing(d: Driver) -> None:
    d.limit(1, 10, BUY, 100, 5)
    d.limit(2, 20, SELL, 100, 2)  # fills 2 of order 1
    before = d.market.state_hash()
    cases = [
        (amend(d, 99, 10, 5, 4), ResultCode.UNKNOWN_ORDER),
        (amend(d, 1, 11, 5, 4), ResultCode.USER_MISMATCH),
        (amend(d, 1, 10, 5, 5), ResultCode.AMEND_NOT_REDUCING),
        (amend(d, 1, 10, 5, 6), ResultCode.AMEND_NOT_REDUCING),
        (amend(d, 1, 10, 5, 0), ResultCode.AMEND_NOT_REDUCING),
        (amend(d, 1, 10, 2, 1), ResultCode.AMEND_NOT_REDUCING),  # 3 rest: 2 is not the original
        (amend(d, 1, 10, 5, 2), ResultCode.AMEND_BELOW_FILLED),
    ]
    for reply, code in cases:
        assert reply.result == code and reply.events == [] and reply.levels == []
    assert d.market.state_hash() == before


def test_a_pending_stop_cannot_be_amended(d: Driver) -> None:
    d.limit(1, 10, BUY, 100, 1)
    d.limit(2, 20, SELL, 100, 1)  # last price 100
    d.stop(3, 10, SELL, OrderType.STOP_LOSS, 90, qty=4, lock=4)
    assert amend(d, 3, 10, 4, 2).result == ResultCode.AMEND_NOT_RESTING


def test_amend_runs_while_halted_like_cancel(d: Driver) -> None:
    d.limit(1, 10, BUY, 100, 5)
    d.halt()
    assert amend(d, 1, 10, 5, 3).result == ResultCode.OK
    assert d.depth(BUY) == [(100, 3)]


def test_malformed_amend_is_refused(d: Driver) -> None:
    d.limit(1, 10, BUY, 100, 5)
    assert d.send(msgpack.packb([1, 9, 1, 10, 5])).result == ResultCode.MALFORMED
    assert d.send(msgpack.packb([1, 9, 1, 10, 5, 4.0])).result == ResultCode.MALFORMED
    assert d.depth(BUY) == [(100, 5)]


def test_snapshot_and_replay_keep_the_amended_priority(d: Driver, book_cls) -> None:  # noqa: ANN001
    # given two bids at one price, the first amended, and a snapshot after it
    d.limit(1, 10, BUY, 100, 5)
    d.limit(2, 11, BUY, 100, 5)
    amend(d, 1, 10, 5, 2)
    snapshot = d.market.to_snapshot()
    later = [
        encode_amend(order_id=2, user_id=11, old_qty=5, new_qty=4),
        encode_place(
            order_id=3, user_id=20, side=SELL, order_type=0, price=100, quantity=3, lock=3
        ),
    ]
    outputs = [d.market.apply(blob) for blob in later]
    # when a market restored from the snapshot (into either book) replays the rest
    restored = Market.from_snapshot(snapshot, book_cls())
    replayed = [restored.apply(blob) for blob in later]
    # then outputs and state are identical, and the amended order 1 filled first
    assert replayed == outputs
    assert restored.state_hash() == d.market.state_hash()
    fills = decode_reply(outputs[1]).trades
    assert [(t.maker, t.qty) for t in fills] == [(1, 2), (2, 1)]
