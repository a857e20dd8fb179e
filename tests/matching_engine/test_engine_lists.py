"""PLACE_LIST (OCO), on both book implementations and through snapshot + replay."""

from __future__ import annotations

import random

import pytest

from matching_engine.book import OrderBook
from matching_engine.market import Market
from matching_engine.protocol import (
    CommandType,
    DoneReason,
    EventType,
    OrderType,
    ResultCode,
    TimeInForce,
    encode_cancel,
    encode_cancel_all,
    encode_place,
    encode_place_list,
)
from tests.matching_engine.support import BUY, SELL, Driver, Ledger

LM, SL, SLL, TP = (
    OrderType.LIMIT_MAKER,
    OrderType.STOP_LOSS,
    OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT,
)


def leg(oid: int, side: int, typ: int, *, price: int = 0, qty: int = 2, stop: int = 0):
    tif = TimeInForce.GTC
    return (oid, side, typ, tif, price, qty, 0, stop, 0)


def sell_oco(d: Driver, first: int = 1, uid: int = 10, *, above: int = 110, stop: int = 90):
    """A SELL OCO of 2 lots: LIMIT_MAKER at ``above``, STOP_LOSS_LIMIT at ``stop`` (limit 89)."""
    return d.send(
        encode_place_list(
            user_id=uid,
            lock=2,
            legs=(
                leg(first, SELL, LM, price=above),
                leg(first + 1, SELL, SLL, price=stop - 1, stop=stop),
            ),
        )
    )


def trade_at(d: Driver, price: int, first: int = 100) -> None:
    """Print a trade at ``price`` between two other users (sets the last price)."""
    d.limit(first, 50, SELL, price, 1)
    d.limit(first + 1, 51, BUY, price, 1)


def test_both_legs_rest_and_the_entry_answers_for_the_first(d: Driver) -> None:
    # given a market that traded at 100
    trade_at(d, 100)
    # when a SELL OCO is placed
    reply = sell_oco(d)
    # then the limit leg rests, the stop leg waits, one entry answers for leg 1
    assert (reply.command, reply.result, reply.order_id, reply.events) == (
        CommandType.PLACE_LIST,
        ResultCode.OK,
        1,
        [],
    )
    assert d.depth(SELL) == [(110, 2)]
    assert reply.levels == [(SELL, 110, 2)]
    assert d.market.links == {1: 2, 2: 1}
    assert [o.id for o in d.market.book.stop_orders()] == [2]


def test_a_partial_fill_of_the_limit_leg_cancels_the_stop_in_the_same_entry(d: Driver) -> None:
    # given a SELL OCO resting
    trade_at(d, 100)
    sell_oco(d)
    # when a buyer takes 1 of the limit leg's 2 lots
    reply = d.limit(3, 20, BUY, 110, 1)
    # then the same entry has the trade and the stop leg's CANCELED with no unused lock
    assert [e[0] for e in reply.events] == [EventType.TRADE, EventType.DONE, EventType.DONE]
    assert reply.trades[0].maker == 1
    stop_done = reply.done(2)
    assert (stop_done.reason, stop_done.remaining_qty, stop_done.unused_lock) == (
        DoneReason.CANCELED,
        2,
        0,
    )
    assert d.market.links == {}
    assert d.market.book.stop_orders() == []
    # and the limit leg keeps the rest of the list's lock
    assert d.market.book.get(1).lock == 1
    # when the leg is canceled later, it reports that lock
    assert d.send(encode_cancel(order_id=1, user_id=10)).done(1).unused_lock == 1


def test_a_triggered_stop_leg_cancels_the_limit_leg_before_it_runs(d: Driver) -> None:
    # given a SELL OCO and a bid at 89
    trade_at(d, 100)
    sell_oco(d)
    d.limit(3, 20, BUY, 89, 5)
    # when a trade at 90 triggers the stop leg
    reply_events = trade_at_events(d, 90)
    # then: trigger, the limit leg canceled (no unused lock), the stop sells 2 at 89
    kinds = [(e[0], e[1]) for e in reply_events if e[0] != EventType.TRADE]
    assert (EventType.STOP_TRIGGERED, 2) in kinds
    triggered_at = kinds.index((EventType.STOP_TRIGGERED, 2))
    assert kinds[triggered_at + 1] == (EventType.DONE, 1)
    cancel = next(e for e in reply_events if e[0] == EventType.DONE and e[1] == 1)
    assert (cancel[3], cancel[6]) == (DoneReason.CANCELED, 0)
    sold = [e for e in reply_events if e[0] == EventType.TRADE and e[6] == 2]
    assert sum(t[3] for t in sold) == 2
    filled = next(e for e in reply_events if e[0] == EventType.DONE and e[1] == 2)
    assert (filled[3], filled[6]) == (DoneReason.FILLED, 0)
    assert d.depth(SELL) == []


def trade_at_events(d: Driver, price: int) -> list:
    d.limit(200, 50, SELL, price, 1)
    return d.limit(201, 51, BUY, price, 1).events


def test_canceling_either_leg_cancels_the_list_and_the_named_leg_reports_the_lock(
    d: Driver,
) -> None:
    sell_oco(d)
    # when the stop leg (2) is canceled
    reply = d.send(encode_cancel(order_id=2, user_id=10))
    # then both legs are done: leg 2 first with the lock, leg 1 with none
    assert [(x.order, x.reason, x.unused_lock) for x in reply.dones] == [
        (2, DoneReason.CANCELED, 2),
        (1, DoneReason.CANCELED, 0),
    ]
    assert d.depth(SELL) == [] and d.market.links == {}


def test_cancel_all_cancels_each_leg_once(d: Driver) -> None:
    sell_oco(d)
    d.limit(5, 10, BUY, 50, 1)
    reply = d.send(encode_cancel_all(user_id=10))
    assert [(x.order, x.unused_lock) for x in reply.dones] == [(1, 2), (2, 0), (5, 50)]


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ((leg(1, SELL, LM, price=110), leg(1, SELL, SL, stop=90)), ResultCode.INVALID_LIST),
        ((leg(1, SELL, LM, price=110), leg(2, BUY, SL, stop=90)), ResultCode.INVALID_LIST),
        (
            (leg(1, SELL, OrderType.LIMIT, price=110), leg(2, SELL, SL, stop=90)),
            ResultCode.INVALID_LIST,
        ),
        ((leg(1, SELL, LM, price=99), leg(2, SELL, SL, stop=90)), ResultCode.POST_ONLY_WOULD_TAKE),
        ((leg(1, SELL, LM, price=110), leg(2, SELL, SL, stop=101)), ResultCode.STOP_WOULD_TRIGGER),
        ((leg(1, SELL, LM, price=110), leg(2, SELL, SL, stop=0)), ResultCode.INVALID_STOP_PRICE),
        (
            (leg(1, SELL, LM, price=110, qty=3), leg(2, SELL, SL, stop=90)),
            ResultCode.INSUFFICIENT_LOCK,
        ),
    ],  # fmt: skip
)
def test_a_refused_list_changes_nothing(d: Driver, legs, code) -> None:  # noqa: ANN001
    # given a bid at 99 and a last price of 100
    trade_at(d, 100)
    d.limit(3, 20, BUY, 99, 1)
    before = d.market.book.state_hash()
    # when a list with a bad leg is placed
    reply = d.send(encode_place_list(user_id=10, lock=2, legs=legs))
    # then it is refused with no events and the book is unchanged
    assert (reply.result, reply.events, reply.levels) == (code, [], [])
    assert d.market.book.state_hash() == before and d.market.links == {}


def test_a_repeat_is_a_duplicate_and_changes_nothing(d: Driver) -> None:
    sell_oco(d)
    before = d.market.state_hash()
    assert sell_oco(d).result == ResultCode.DUPLICATE
    assert d.market.state_hash() == before


def test_a_buy_oco_locks_the_larger_leg_and_a_fill_keeps_it_with_the_filled_leg(
    d: Driver,
) -> None:
    # given a BUY OCO: LIMIT_MAKER at 90 x 2 and STOP_LOSS_LIMIT 111 (stop 110) x 2
    trade_at(d, 100)
    reply = d.send(
        encode_place_list(
            user_id=10,
            lock=222,
            legs=(leg(1, BUY, LM, price=90), leg(2, BUY, SLL, price=111, stop=110)),
        )
    )
    assert reply.result == ResultCode.OK
    # when a seller hits the bid fully
    sold = d.limit(3, 20, SELL, 90, 2)
    # then leg 1 FILLED with 222 - 180 unused, the seller's DONE, leg 2 CANCELED with none
    assert [(x.order, x.reason, x.unused_lock) for x in sold.dones] == [
        (1, DoneReason.FILLED, 42),
        (3, DoneReason.FILLED, 0),
        (2, DoneReason.CANCELED, 0),
    ]
    assert d.market.links == {} and d.market.book.stop_orders() == []


def _random_commands(seed: int, count: int) -> list[bytes]:
    """Orders around 100 and OCOs of two users; every lock is exact or more."""
    rng = random.Random(seed)
    out: list[bytes] = []
    oid = 1
    for _ in range(count):
        uid = rng.choice((10, 11, 12))
        side = rng.choice((BUY, SELL))
        roll = rng.random()
        if roll < 0.3:
            above = rng.randint(101, 106)
            below = rng.randint(94, 99)
            qty = rng.randint(1, 3)
            if side == SELL:
                legs = (
                    leg(oid, SELL, LM, price=above, qty=qty),
                    leg(oid + 1, SELL, SL, stop=below, qty=qty),
                )
                lock = qty
            else:
                legs = (
                    leg(oid, BUY, LM, price=below, qty=qty),
                    leg(oid + 1, BUY, SLL, price=above, stop=above, qty=qty),
                )
                lock = above * qty
            out.append(encode_place_list(user_id=uid, lock=lock, legs=legs))  # type: ignore[arg-type]
            oid += 2
        elif roll < 0.85:
            price, qty = rng.randint(94, 106), rng.randint(1, 4)
            out.append(
                encode_place(
                    order_id=oid, user_id=uid, side=side, order_type=OrderType.LIMIT,
                    price=price, quantity=qty, lock=price * qty if side == BUY else qty,
                )
            )  # fmt: skip
            oid += 1
        else:
            out.append(encode_cancel(order_id=rng.randint(1, oid), user_id=uid))
    return out


def test_random_lists_agree_on_both_books_and_through_snapshot_and_replay(
    book_cls: type[OrderBook],
) -> None:
    from matching_engine.book_fast import FastOrderBook
    from matching_engine.book_naive import NaiveOrderBook

    commands = _random_commands(20261207, 3000)
    drivers = [Driver(NaiveOrderBook()), Driver(FastOrderBook())]
    middle = len(commands) // 2
    most_links = 0
    ledger = Ledger()  # funds conserved per list: one lock, one leg spends it
    for i, blob in enumerate(commands):
        outs = [dr.market.apply(blob) for dr in drivers]
        assert outs[0] == outs[1], i
        ledger.observe(blob, outs[0])
        most_links = max(most_links, len(drivers[0].market.links))
        if i % 100 == 0:
            for dr in drivers:
                dr.market.validate_internal_state()
            assert drivers[0].market.state_hash() == drivers[1].market.state_hash()
        if i == middle:
            snapshot = drivers[0].market.to_snapshot()
            restored = Market.from_snapshot(snapshot, book_cls())
    assert most_links >= 4  # the workload did keep several lists open at once
    ledger.check_open_orders(drivers[0].market)
    # the snapshot taken half-way, replayed with the rest, ends in the same state
    tail = [restored.apply(blob) for blob in commands[middle + 1 :]]
    again = Driver(book_cls())
    outputs = [again.market.apply(blob) for blob in commands]
    assert tail == outputs[middle + 1 :]
    assert restored.state_hash() == again.market.state_hash() == drivers[0].market.state_hash()
