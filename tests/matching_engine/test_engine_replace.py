"""REPLACE (cancel-replace in one step), on both book implementations and through snapshot + replay."""

from __future__ import annotations

from matching_engine.market import Market
from matching_engine.protocol import (
    DoneReason,
    EventType,
    OrderType,
    ReplaceMode,
    ResultCode,
    TimeInForce,
    encode_replace,
)
from tests.matching_engine.support import BUY, SELL, Driver, decode_reply


def replace(
    d: Driver,
    cancel: int,
    oid: int,
    uid: int,
    side: int,
    price: int,
    qty: int,
    *,
    lock: int,
    carry: int = 10**12,
    mode: int = ReplaceMode.STOP_ON_FAILURE,
    order_type: int = OrderType.LIMIT,
):
    return d.send(
        encode_replace(
            cancel_order_id=cancel,
            mode=mode,
            carry=carry,
            order_id=oid,
            user_id=uid,
            side=side,
            order_type=order_type,
            time_in_force=TimeInForce.GTC,
            price=price,
            quantity=qty,
            lock=lock,
        )
    )


def test_replace_cancels_and_places_in_one_entry_carrying_the_lock(d: Driver) -> None:
    # given a resting bid of user 10 locking 99 * 5
    d.limit(1, 10, BUY, 99, 5)
    # when it is replaced by a bid at 100 for 5 with only the difference locked by entry
    reply = replace(d, 1, 2, 10, BUY, 100, 5, lock=5)
    # then one entry: the old order's DONE (canceled, its lock reported), the new one rests
    assert (reply.command, reply.result, reply.order_id) == (8, ResultCode.OK, 2)
    assert reply.done(1).reason == DoneReason.CANCELED and reply.done(1).unused_lock == 0
    assert d.depth(BUY) == [(100, 5)]
    assert d.market.book.get(2).lock == 99 * 5 + 5
    assert reply.levels == [(BUY, 100, 5), (BUY, 99, 0)]


def test_replace_carries_at_most_what_it_is_told(d: Driver) -> None:
    d.limit(1, 10, BUY, 100, 5)
    # the new order needs 99 * 5: entry counted 495 of the old 500 as carried
    reply = replace(d, 1, 2, 10, BUY, 99, 5, lock=0, carry=495)
    assert reply.result == ResultCode.OK
    assert reply.done(1).unused_lock == 5
    assert d.market.book.get(2).lock == 495
    assert reply.levels == [(BUY, 100, 0), (BUY, 99, 5)]


def test_nobody_trades_between_the_cancel_and_the_new_order(d: Driver) -> None:
    # given a resting ask and the user's own bid below it
    d.limit(1, 10, BUY, 99, 2)
    d.limit(5, 20, SELL, 100, 2)
    # when the bid is replaced by one that crosses
    reply = replace(d, 1, 2, 10, BUY, 100, 2, lock=2)
    # then the events are, in order, the cancel then the new order's fills
    assert reply.event_types == [EventType.DONE, EventType.TRADE, EventType.DONE, EventType.DONE]
    assert [t.taker for t in reply.trades] == [2]
    assert reply.done(2).reason == DoneReason.FILLED
    assert reply.done(2).unused_lock == 99 * 2 + 2 - 100 * 2
    assert reply.done(1).unused_lock == 0


def test_stop_on_failure_places_nothing_when_the_cancel_fails(d: Driver) -> None:
    reply = replace(d, 99, 2, 10, BUY, 100, 1, lock=100)
    assert reply.result == ResultCode.UNKNOWN_ORDER and reply.events == []
    assert d.depth(BUY) == []
    # the new order id is used up: a later PLACE of it is a duplicate
    assert d.limit(2, 10, BUY, 100, 1).result == ResultCode.DUPLICATE


def test_stop_on_failure_refuses_another_users_order(d: Driver) -> None:
    d.limit(1, 10, BUY, 99, 1)
    reply = replace(d, 1, 2, 11, BUY, 100, 1, lock=100)
    assert reply.result == ResultCode.USER_MISMATCH
    assert d.depth(BUY) == [(99, 1)]


def test_allow_failure_places_the_new_order_when_the_cancel_fails(d: Driver) -> None:
    reply = replace(d, 99, 2, 10, BUY, 100, 1, lock=100, mode=ReplaceMode.ALLOW_FAILURE)
    assert reply.result == ResultCode.OK and reply.dones == []
    assert d.depth(BUY) == [(100, 1)]


def test_a_refused_new_order_still_cancels_and_reports_both_locks(d: Driver) -> None:
    # given a resting ask and the user's bid
    d.limit(5, 20, SELL, 100, 1)
    d.limit(1, 10, BUY, 99, 1)
    # when the bid is replaced by a post-only order that would take
    reply = replace(d, 1, 2, 10, BUY, 100, 1, lock=1, order_type=OrderType.LIMIT_MAKER)
    # then the cancel stands (Binance: cancel succeeded, new order failed) and nothing rests
    assert reply.result == ResultCode.POST_ONLY_WOULD_TAKE
    assert reply.done(1).unused_lock == 99
    assert d.depth(BUY) == []


def test_other_side_does_not_carry_the_lock(d: Driver) -> None:
    d.limit(1, 10, BUY, 99, 1)
    reply = replace(d, 1, 2, 10, SELL, 150, 3, lock=3)
    assert reply.result == ResultCode.OK
    assert d.market.book.get(2).lock == 3


def test_a_repeated_replace_changes_nothing(d: Driver) -> None:
    d.limit(1, 10, BUY, 99, 1)
    d.limit(3, 10, BUY, 98, 1)
    replace(d, 1, 2, 10, BUY, 100, 1, lock=1)
    # a re-sent REPLACE (the sweeper) with the same new id
    again = replace(d, 3, 2, 10, BUY, 100, 1, lock=1)
    assert again.result == ResultCode.DUPLICATE and again.events == []
    assert d.depth(BUY) == [(100, 1), (98, 1)]


def test_malformed_mode_is_refused(d: Driver) -> None:
    d.limit(1, 10, BUY, 99, 1)
    assert replace(d, 1, 2, 10, BUY, 100, 1, lock=100, mode=7).result == ResultCode.MALFORMED
    assert replace(d, 1, 2, 10, BUY, 100, 1, lock=100, carry=-1).result == ResultCode.MALFORMED
    assert d.depth(BUY) == [(99, 1)]


def test_snapshot_and_replay_reproduce_the_state(d: Driver, book_cls) -> None:  # noqa: ANN001
    # given a few orders and replaces, with a snapshot in the middle
    d.limit(1, 10, BUY, 99, 2)
    d.limit(2, 20, SELL, 105, 2)
    replace(d, 1, 3, 10, BUY, 101, 2, lock=4)
    snapshot = d.market.to_snapshot()
    later = [
        encode_replace(
            cancel_order_id=2,
            mode=0,
            carry=1,
            order_id=4,
            user_id=20,
            side=SELL,
            order_type=OrderType.LIMIT,
            price=101,
            quantity=1,
            lock=0,
        ),
        encode_replace(
            cancel_order_id=3,
            mode=1,
            carry=0,
            order_id=5,
            user_id=10,
            side=BUY,
            order_type=OrderType.LIMIT,
            price=100,
            quantity=1,
            lock=1,
        ),  # fmt: skip
    ]
    outputs = [d.market.apply(blob) for blob in later]
    # when a market restored from the snapshot replays the rest
    restored = Market.from_snapshot(snapshot, book_cls())
    replayed = [restored.apply(blob) for blob in later]
    # then the outputs are byte-identical and so is the state
    assert replayed == outputs
    assert restored.state_hash() == d.market.state_hash()
    assert decode_reply(outputs[0]).result == ResultCode.OK
