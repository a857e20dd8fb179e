"""TRAILING_STOP_MARKET (callbackRate, activation price, working type) on both books and
through snapshot + replay."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

from matching_engine.book import OrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.engine import MarginGroup
from matching_engine.futures.protocol import (
    DoneReason,
    FuturesEvent,
    FuturesOrderType,
    FuturesResult,
    WorkingType,
)
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1
TRAILING = FuturesOrderType.TRAILING_STOP_MARKET


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    d.deposit(100, usdt(1_000_000))  # market maker
    d.deposit(1, usdt(10_000))
    d.deposit(2, usdt(100_000))  # prints the last price
    return d


def long_1_btc(f: FDriver) -> None:
    f.place(100, SELL, px(60_000), 1000)
    f.place(1, BUY, px(60_000), 1000)
    assert f.size(1) == 1000


def trailing(f: FDriver, side: int, qty: int, rate: int, **kw: Any) -> list[Any]:
    return f.place(1, side, 0, qty, order_type=TRAILING, callback_rate=rate, **kw)


def print_last(f: FDriver, price: int) -> list[Any]:
    """One lot traded at `price` between the maker and user 2 (both flat afterwards)."""
    f.place(100, SELL, price, 1)
    out = f.place(2, BUY, price, 1, time_in_force=1)
    f.place(2, SELL, 0, 1, order_type=FuturesOrderType.MARKET, reduce_only=True)
    return out


def test_mark_price_trailing_stop_activates_trails_and_closes_the_long(f: FDriver) -> None:
    # given a long of 1 BTC and a bid of the maker at 58,000 for the close
    long_1_btc(f)
    bid = f.place(100, BUY, px(58_000), 5000)
    # when a SELL trailing stop of 1 BTC, reduce-only, 1 % (100), activates at 61,000 on the mark
    stop = trailing(
        f, SELL, 1000, 100, stop_price=px(61_000), working_type=WorkingType.MARK_PRICE,
        reduce_only=True,
    )  # fmt: skip
    assert stop[2] == FuturesResult.OK
    order = f.group.stops.orders[stop[3]]
    assert (order.stop, order.rate, order.peak) == (px(61_000), 100, 0)
    # then 60,900 neither activates nor fires it; 61,000 activates it, 62,000 is the new high
    assert events_of(f.mark(px(60_900)), FuturesEvent.STOP_TRIGGERED) == []
    f.mark(px(61_000))
    assert order.peak == px(61_000)
    f.mark(px(62_000))
    assert order.peak == px(62_000)
    # 1 % under 62,000 is 61,380: 61,381 does not fire it
    assert events_of(f.mark(px(61_381)), FuturesEvent.STOP_TRIGGERED) == []
    out = f.mark(px(61_380))
    # and at 61,380 it fires as a MARKET sell of 1 BTC into the bid, the position closed
    assert events_of(out, FuturesEvent.STOP_TRIGGERED) == [
        [FuturesEvent.STOP_TRIGGERED, stop[3], 1, BTC, px(61_380), 0]
    ]
    trades = events_of(out, FuturesEvent.TRADE)
    assert [(t[3], t[4], t[8]) for t in trades] == [(px(58_000), 1000, bid[3])]
    assert f.size(1) == 0 and f.group.stops.orders == {}
    assert f.group.stops.trailing[(BTC, WorkingType.MARK_PRICE)] == {}


def test_buy_trailing_on_last_price_starts_at_once_and_fires_on_the_rebound(f: FDriver) -> None:
    # given a last price of 60,000 and an offer at 70,000 to buy from
    long_1_btc(f)
    f.place(100, SELL, px(70_000), 5000)
    # when a BUY trailing stop of 0.5 BTC at 2 % (200) with no activation price is placed
    stop = trailing(f, BUY, 500, 200)
    order = f.group.stops.orders[stop[3]]
    # then it trails the last price at once; a fall to 59,000 is the new low
    assert order.peak == px(60_000)
    print_last(f, px(59_000))
    assert order.peak == px(59_000)
    # 2 % above 59,000 is 60,180: 60,179 does not fire it, 60,180 does
    assert events_of(print_last(f, px(60_179)), FuturesEvent.STOP_TRIGGERED) == []
    out = f.place(100, SELL, px(60_180), 1)
    out = f.place(2, BUY, px(60_180), 1, time_in_force=1)
    fired = events_of(out, FuturesEvent.STOP_TRIGGERED)
    assert [(e[1], e[4], e[5]) for e in fired] == [(stop[3], px(60_180), 0)]
    mine = [t for t in events_of(out, FuturesEvent.TRADE) if t[6] == stop[3]]
    assert [(t[3], t[4]) for t in mine] == [(px(70_000), 500)]
    assert f.size(1) == 1500


def test_reduce_only_is_checked_when_it_fires(f: FDriver) -> None:
    # given a flat account with a reduce-only SELL trailing stop on the mark
    stop = trailing(f, SELL, 1000, 50, working_type=WorkingType.MARK_PRICE, reduce_only=True)
    assert stop[2] == FuturesResult.OK
    f.mark(px(61_000))
    out = f.mark(px(60_000))  # 1.6 % down from 61,000 > 0.5 %
    # then it fires but has nothing to reduce: refused with a TRIGGER_REJECTED done
    assert events_of(out, FuturesEvent.STOP_TRIGGERED)[0][5] == (
        FuturesResult.REDUCE_ONLY_WOULD_INCREASE
    )
    assert events_of(out, FuturesEvent.DONE)[0][3] == DoneReason.TRIGGER_REJECTED
    assert f.size(1) == 0


@pytest.mark.parametrize(
    ("rate", "kw", "code"),
    [
        (9, {}, FuturesResult.INVALID_CALLBACK_RATE),  # under 0.1 %
        (1001, {}, FuturesResult.INVALID_CALLBACK_RATE),  # over 10 %
        (0, {"stop_price": px(61_000)}, FuturesResult.INVALID_CALLBACK_RATE),  # no rate
        (100, {"close_position": True}, FuturesResult.INVALID_CLOSE_POSITION),
        (100, {"stop_price": px(59_000)}, FuturesResult.STOP_WOULD_TRIGGER),  # SELL below
    ],
)
def test_bad_trailing_orders_are_refused_and_change_nothing(
    f: FDriver, rate: int, kw: dict[str, Any], code: FuturesResult
) -> None:
    long_1_btc(f)
    before = f.group.stops.orders.copy()
    qty = 0 if kw.get("close_position") else 1000
    out = f.place(1, SELL, 0, qty, order_type=TRAILING, callback_rate=rate, **kw)
    assert out[2] == code and out[5] == []
    assert f.group.stops.orders == before


def test_a_rate_on_another_type_and_no_last_price_are_refused(book_cls: type[OrderBook]) -> None:
    f = FDriver(book_cls)
    f.mark(px(60_000))
    f.deposit(1, usdt(10_000))
    stop_market = f.place(
        1, SELL, 0, 10, order_type=FuturesOrderType.STOP_MARKET, stop_price=px(50_000),
        callback_rate=100,
    )  # fmt: skip
    no_last = f.place(1, SELL, 0, 10, order_type=TRAILING, callback_rate=100)
    assert stop_market[2] == FuturesResult.INVALID_CALLBACK_RATE
    assert no_last[2] == FuturesResult.NO_WORKING_PRICE
    assert f.group.stops.orders == {}


def test_trailing_state_survives_snapshot_and_replay(book_cls: type[OrderBook]) -> None:
    # given an active and a waiting trailing stop, snapshot taken between price moves
    f = FDriver(book_cls)
    f.mark(px(60_000))
    f.deposit(100, usdt(1_000_000))
    f.deposit(1, usdt(10_000))
    long_1_btc(f)
    f.place(100, BUY, px(55_000), 5000)
    trailing(f, SELL, 400, 100, working_type=WorkingType.MARK_PRICE, reduce_only=True)
    trailing(f, SELL, 600, 300, stop_price=px(60_500), working_type=WorkingType.MARK_PRICE)
    f.mark(px(61_000))
    snapshot = msgpack.unpackb(msgpack.packb(f.group.to_snapshot()))
    later = [fp.encode_mark_price(contract=BTC, price=px(p)) for p in (62_000, 61_000, 59_000)]
    outputs = [f.group.apply(blob) for blob in later]
    # when a group restored from the snapshot replays the same prices
    restored = MarginGroup.from_snapshot(snapshot, book_cls)
    replayed = [restored.apply(blob) for blob in later]
    # then outputs and state are identical, and both stops fired
    assert replayed == outputs
    assert restored.state_hash() == f.group.state_hash()
    fired = [e for out in outputs for e in msgpack.unpackb(out)[5] if e[0] == 26]
    assert len(fired) == 2 and f.size(1) == 0
