"""Conditional orders (STOP / TAKE_PROFIT, limit and market), closePosition, FOK, GTX,
self-trade prevention and the position limit, on both books."""

from __future__ import annotations

import pytest

from matching_engine.book import OrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.protocol import (
    DoneReason,
    FuturesEvent,
    FuturesOrderType,
    FuturesResult,
    WorkingType,
)
from matching_engine.protocol import SelfTradePrevention, TimeInForce
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1
T = FuturesOrderType


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    d.deposit(100, usdt(1_000_000))  # market maker
    d.deposit(1, usdt(10_000))
    return d


def long_1_btc(f: FDriver) -> None:
    f.place(100, SELL, px(60_000), 1000)
    f.place(1, BUY, px(60_000), 1000)
    assert f.size(1) == 1000


def test_stop_market_on_mark_price_closes_the_position_when_the_mark_falls(f: FDriver) -> None:
    long_1_btc(f)
    f.place(100, BUY, px(58_900), 5000)
    stop = f.place(
        1,
        SELL,
        0,
        0,
        order_type=T.STOP_MARKET,
        stop_price=px(59_000),
        working_type=WorkingType.MARK_PRICE,
        close_position=True,
    )
    assert stop[2] == FuturesResult.OK
    assert f.size(1) == 1000  # pending: nothing reserved, nothing traded
    assert events_of(f.mark(px(59_000.1)), FuturesEvent.STOP_TRIGGERED) == []
    # when
    out = f.mark(px(59_000))
    # then: fired at the mark and sold the whole position into the bid
    assert events_of(out, FuturesEvent.STOP_TRIGGERED) == [
        [FuturesEvent.STOP_TRIGGERED, stop[3], 1, BTC, px(59_000), 0]
    ]
    assert [e[4] for e in events_of(out, FuturesEvent.TRADE)] == [1000]
    assert f.size(1) == 0
    assert f.group.stops.orders == {}


def test_take_profit_limit_on_last_price_fires_after_a_trade(f: FDriver) -> None:
    long_1_btc(f)
    tp = f.place(
        1,
        SELL,
        px(61_000),
        1000,
        order_type=T.TAKE_PROFIT,
        time_in_force=TimeInForce.GTC,
        stop_price=px(61_000),
        reduce_only=True,
    )
    assert tp[2] == FuturesResult.OK
    # when: a trade prints at 61,000 (the maker's offer taken by another user)
    f.deposit(2, usdt(10_000))
    f.place(100, SELL, px(61_000), 100)
    out = f.place(2, BUY, px(61_000), 100)
    # then: the take-profit fired and rests as a limit sell at 61,000
    assert events_of(out, FuturesEvent.STOP_TRIGGERED)[0][4] == px(61_000)
    assert f.group.books[BTC].get(tp[3]) is not None


def test_an_order_that_would_trigger_at_once_is_refused(f: FDriver) -> None:
    out = f.place(
        1,
        SELL,
        0,
        100,
        order_type=T.STOP_MARKET,
        stop_price=px(60_000),
        working_type=WorkingType.MARK_PRICE,
    )
    assert out[2] == FuturesResult.STOP_WOULD_TRIGGER
    bad = f.place(1, SELL, 0, 100, order_type=T.STOP_MARKET, stop_price=0)
    assert bad[2] == FuturesResult.INVALID_STOP_PRICE
    both = f.place(1, SELL, 0, 100, order_type=T.STOP_MARKET, stop_price=px(1), close_position=True)
    assert both[2] == FuturesResult.INVALID_CLOSE_POSITION


def test_close_position_with_no_position_is_rejected_when_fired(f: FDriver) -> None:
    stop = f.place(
        1,
        SELL,
        0,
        0,
        order_type=T.STOP_MARKET,
        stop_price=px(59_000),
        working_type=WorkingType.MARK_PRICE,
        close_position=True,
    )
    out = f.mark(px(58_000))
    assert events_of(out, FuturesEvent.STOP_TRIGGERED) == [
        [
            FuturesEvent.STOP_TRIGGERED,
            stop[3],
            1,
            BTC,
            px(58_000),
            FuturesResult.REDUCE_ONLY_WOULD_INCREASE,
        ]
    ]
    assert events_of(out, FuturesEvent.DONE) == [
        [FuturesEvent.DONE, stop[3], 1, DoneReason.TRIGGER_REJECTED, 0]
    ]


def test_a_fired_stop_still_needs_margin(f: FDriver) -> None:
    # 10,000 USDT at 20x buys at most ~3.3 BTC; a 5 BTC stop fires and is refused
    stop = f.place(
        1,
        BUY,
        0,
        5000,
        order_type=T.STOP_MARKET,
        stop_price=px(61_000),
        working_type=WorkingType.MARK_PRICE,
    )
    out = f.mark(px(61_000))
    assert events_of(out, FuturesEvent.STOP_TRIGGERED)[0][5] == FuturesResult.INSUFFICIENT_MARGIN
    assert events_of(out, FuturesEvent.DONE)[0][1:4] == [stop[3], 1, DoneReason.TRIGGER_REJECTED]


def test_cancel_a_pending_stop(f: FDriver) -> None:
    stop = f.place(1, SELL, 0, 100, order_type=T.STOP_MARKET, stop_price=px(50_000))
    assert f.send(fp.encode_cancel(order_id=stop[3], user_id=2))[2] == FuturesResult.USER_MISMATCH
    out = f.send(fp.encode_cancel(order_id=stop[3], user_id=1))
    assert events_of(out, FuturesEvent.DONE) == [
        [FuturesEvent.DONE, stop[3], 1, DoneReason.CANCELED, 100]
    ]
    assert events_of(f.mark(px(49_000)), FuturesEvent.STOP_TRIGGERED) == []


def test_untriggered_stops_do_not_change_a_mark_price_s_work(f: FDriver) -> None:
    # 2,000 pending stops far away: a MARK_PRICE peeks at the heap tops and fires none
    for i in range(2000):
        f.place(
            1,
            SELL,
            0,
            100,
            order_type=T.STOP_MARKET,
            stop_price=px(10_000 + i),
            working_type=WorkingType.MARK_PRICE,
        )
    out = f.mark(px(59_000))
    assert out[5] == []
    assert len(f.group.stops.orders) == 2000


def test_fok_fills_completely_or_not_at_all(f: FDriver) -> None:
    f.place(100, SELL, px(60_000), 500)
    out = f.place(1, BUY, px(60_000), 501, time_in_force=TimeInForce.FOK)
    assert events_of(out, FuturesEvent.TRADE) == []
    assert events_of(out, FuturesEvent.DONE)[0][3] == DoneReason.EXPIRED
    out = f.place(1, BUY, px(60_000), 500, time_in_force=TimeInForce.FOK)
    assert [e[4] for e in events_of(out, FuturesEvent.TRADE)] == [500]


def test_gtx_post_only_refused_when_it_would_take(f: FDriver) -> None:
    f.place(100, SELL, px(60_000), 500)
    gtx = T.LIMIT_MAKER
    assert f.place(1, BUY, px(60_000), 100, order_type=gtx)[2] == FuturesResult.POST_ONLY_WOULD_TAKE
    assert f.place(1, BUY, px(59_999.9), 100, order_type=gtx)[2] == FuturesResult.OK


def test_self_trade_prevention_expires_the_taker(f: FDriver) -> None:
    f.place(1, SELL, px(60_000), 100)
    out = f.place(1, BUY, px(60_000), 100, stp=SelfTradePrevention.EXPIRE_TAKER)
    assert events_of(out, FuturesEvent.TRADE) == []
    assert events_of(out, FuturesEvent.DONE)[0][3] == DoneReason.STP_EXPIRED


def test_position_limit_is_the_last_bracket_cap(f: FDriver) -> None:
    # the last bracket ends at 10^12 USDT: one lot more than that notional is refused
    lots = 10**12 * 1000 // 60_000 + 1  # lots of 0.001 BTC at 60,000 above 10^12 USDT
    f.deposit(1, usdt(10**12))
    assert f.place(1, BUY, px(60_000), lots)[2] == FuturesResult.POSITION_LIMIT


def test_a_fired_stop_whose_account_an_earlier_one_liquidates_is_canceled(f: FDriver) -> None:
    # given: user 2's sell stop (older) and user 1's close-position stop fire at the same
    # mark; user 1 (125x) bids 0.5 BTC at 60,000, so user 2's stop fills that bid
    f.deposit(2, usdt(100_000))
    older = f.place(
        2,
        SELL,
        0,
        500,
        order_type=T.STOP_MARKET,
        stop_price=px(59_000),
        working_type=WorkingType.MARK_PRICE,
    )
    f.send(fp.encode_set_leverage(user_id=3, contract=BTC, leverage=125))
    f.deposit(3, usdt(255))
    assert f.place(3, BUY, px(60_000), 500)[2] == FuturesResult.OK
    mine = f.place(
        3,
        SELL,
        0,
        0,
        order_type=T.STOP_MARKET,
        stop_price=px(59_000),
        working_type=WorkingType.MARK_PRICE,
        close_position=True,
    )
    # when the mark falls to 59,000
    out = f.mark(px(59_000))
    # then user 2's stop buys user 3 a long 1,000 USDT under water: liquidated at once,
    # which cancels user 3's own fired stop before its turn
    assert [e[1] for e in events_of(out, FuturesEvent.STOP_TRIGGERED)] == [older[3]]
    assert [e[1] for e in events_of(out, FuturesEvent.LIQUIDATION)] == [3]
    assert [e[1:4] for e in events_of(out, FuturesEvent.DONE) if e[1] == mine[3]] == [
        [mine[3], 3, DoneReason.LIQUIDATED]
    ]
    assert f.group.stops.orders == {}
