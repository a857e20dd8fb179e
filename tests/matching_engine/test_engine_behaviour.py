"""Matching rules, run against both book implementations (fixture `d`)."""

from __future__ import annotations

import pytest

from matching_engine.protocol import (
    DoneReason,
    EventType,
    OrderType,
    ResultCode,
    SelfTradePrevention,
    TimeInForce,
    encode_market_create,
    encode_place,
)
from tests.matching_engine.support import BUY, SELL, Driver

STP = SelfTradePrevention


# --- resting and priority -----------------------------------------------------------


def test_limit_orders_rest_and_report_level_changes(d: Driver) -> None:
    # given an empty book
    # when a bid and an ask that do not cross arrive
    bid = d.limit(1, 10, BUY, 99, 5)
    ask = d.limit(2, 11, SELL, 101, 3)

    # then both rest, and each entry reports its level with the next update id
    assert bid.result == ResultCode.OK and bid.events == []
    assert bid.levels == [(BUY, 99, 5)] and (bid.first_update, bid.last_update) == (1, 1)
    assert ask.levels == [(SELL, 101, 3)] and (ask.first_update, ask.last_update) == (2, 2)
    assert d.depth(BUY) == [(99, 5)] and d.depth(SELL) == [(101, 3)]


def test_better_price_matches_first(d: Driver) -> None:
    # given asks at 102, 100 and 101
    d.limit(1, 10, SELL, 102, 1)
    d.limit(2, 11, SELL, 100, 1)
    d.limit(3, 12, SELL, 101, 1)

    # when a buy takes two lots
    reply = d.limit(4, 20, BUY, 105, 2)

    # then it hits 100 then 101, each at the maker's price
    assert [(t.maker, t.price) for t in reply.trades] == [(2, 100), (3, 101)]
    assert reply.done(4).reason == DoneReason.FILLED
    assert reply.done(4).unused_lock == 105 * 2 - 100 - 101


def test_same_price_matches_oldest_first(d: Driver) -> None:
    # given three asks at one price
    for oid in (7, 5, 6):
        d.limit(oid, oid, SELL, 100, 2)

    # when a buy takes 3 lots
    reply = d.limit(9, 1, BUY, 100, 3)

    # then arrival order decides, not the order id
    assert [(t.maker, t.qty) for t in reply.trades] == [(7, 2), (5, 1)]
    assert reply.done(7).reason == DoneReason.FILLED
    assert d.depth(SELL) == [(100, 3)]
    assert reply.levels == [(SELL, 100, 3)]


def test_trade_events_carry_everything_clearing_needs(d: Driver) -> None:
    # given a resting bid
    d.limit(1, 10, BUY, 100, 4)

    # when a sell takes part of it
    reply = d.limit(2, 20, SELL, 99, 3)

    # then the trade names both sides, the quote amount and a trade sequence
    (trade,) = reply.trades
    assert (trade.seq, trade.price, trade.qty, trade.quote) == (1, 100, 3, 300)
    assert (trade.taker_side, trade.taker, trade.taker_user) == (SELL, 2, 20)
    assert (trade.maker, trade.maker_user) == (1, 10)
    assert reply.done(2) == reply.dones[0] and reply.done(2).unused_lock == 0
    assert d.depth(BUY) == [(100, 1)]


def test_partially_filled_gtc_taker_rests_its_remainder(d: Driver) -> None:
    # given 2 lots offered
    d.limit(1, 10, SELL, 100, 2)

    # when a GTC buy for 5 arrives
    reply = d.limit(2, 20, BUY, 100, 5)

    # then 2 trade and 3 rest on the bid side; the taker is not done
    assert [t.qty for t in reply.trades] == [2]
    assert [x.order for x in reply.dones] == [1]
    assert d.depth(BUY) == [(100, 3)] and d.depth(SELL) == []
    assert reply.levels == [(BUY, 100, 3), (SELL, 100, 0)]


def test_book_update_ids_are_contiguous_across_entries(d: Driver) -> None:
    # given a few changes
    replies = [d.limit(1, 1, SELL, 100, 1), d.limit(2, 1, SELL, 101, 1)]

    # when one order sweeps two levels and rests
    replies.append(d.limit(3, 2, BUY, 102, 3))

    # then every entry's U is the previous u + 1 and u - U + 1 is its level count
    last = 0
    for reply in replies:
        assert reply.first_update == last + 1
        assert reply.last_update - reply.first_update + 1 == len(reply.levels)
        last = reply.last_update
    assert replies[-1].levels == [(BUY, 102, 1), (SELL, 100, 0), (SELL, 101, 0)]


# --- time in force ------------------------------------------------------------------


def test_ioc_expires_its_remainder(d: Driver) -> None:
    # given 2 lots offered
    d.limit(1, 10, SELL, 100, 2)

    # when an IOC buy for 5 arrives
    reply = d.limit(2, 20, BUY, 101, 5, tif=TimeInForce.IOC)

    # then 2 trade, the rest expires and nothing rests
    done = reply.done(2)
    assert done.reason == DoneReason.EXPIRED and done.remaining_qty == 3
    assert done.unused_lock == 101 * 5 - 200
    assert d.depth(BUY) == []


def test_fok_that_cannot_fill_does_nothing(d: Driver) -> None:
    # given 4 lots within the price and more beyond it
    d.limit(1, 10, SELL, 100, 4)
    d.limit(2, 10, SELL, 102, 9)

    # when a FOK buy for 5 at 101 arrives
    reply = d.limit(3, 20, BUY, 101, 5, tif=TimeInForce.FOK)

    # then it expires whole and the book is untouched
    assert reply.trades == [] and reply.levels == []
    assert reply.done(3) == reply.dones[0]
    assert (reply.done(3).reason, reply.done(3).remaining_qty) == (DoneReason.EXPIRED, 5)
    assert reply.done(3).unused_lock == 505
    assert d.depth(SELL) == [(100, 4), (102, 9)]


def test_fok_that_can_fill_fills_completely(d: Driver) -> None:
    # given 3 + 3 lots within the price
    d.limit(1, 10, SELL, 100, 3)
    d.limit(2, 11, SELL, 101, 3)

    # when a FOK buy for 5 arrives
    reply = d.limit(3, 20, BUY, 101, 5, tif=TimeInForce.FOK)

    # then it fills across both levels
    assert [t.qty for t in reply.trades] == [3, 2]
    assert reply.done(3).reason == DoneReason.FILLED


@pytest.mark.parametrize(
    ("stp", "fillable"),
    [(STP.NONE, True), (STP.EXPIRE_MAKER, True), (STP.EXPIRE_TAKER, False)],
)
def test_fok_counts_liquidity_the_way_stp_would_match_it(
    d: Driver, stp: SelfTradePrevention, fillable: bool
) -> None:
    # given the taker's own ask first in line, then 5 lots of others
    d.limit(1, 20, SELL, 100, 5)
    d.limit(2, 10, SELL, 100, 5)

    # when it sends a FOK buy for 5 with an STP mode
    reply = d.limit(3, 20, BUY, 100, 5, tif=TimeInForce.FOK, stp=stp)

    # then it fills only if matching would not stop at its own order
    assert (reply.done(3).reason == DoneReason.FILLED) is fillable


def test_limit_maker_rests_when_it_would_not_take(d: Driver) -> None:
    # given an ask at 100
    d.limit(1, 10, SELL, 100, 1)

    # when a post-only bid at 99 arrives
    reply = d.limit(2, 20, BUY, 99, 1, maker_only=True)

    # then it rests
    assert reply.result == ResultCode.OK and d.depth(BUY) == [(99, 1)]


def test_limit_maker_is_rejected_when_it_would_take(d: Driver) -> None:
    # given an ask at 100
    d.limit(1, 10, SELL, 100, 1)

    # when a post-only bid at 100 arrives
    reply = d.limit(2, 20, BUY, 100, 1, maker_only=True)

    # then it is rejected and nothing changed
    assert reply.result == ResultCode.POST_ONLY_WOULD_TAKE
    assert reply.events == [] and reply.levels == []
    assert d.depth(SELL) == [(100, 1)] and d.depth(BUY) == []


# --- market orders and the lock ---------------------------------------------------


def test_market_buy_by_quantity_sweeps_levels(d: Driver) -> None:
    # given 2 lots at 100 and 2 at 110
    d.limit(1, 10, SELL, 100, 2)
    d.limit(2, 10, SELL, 110, 2)

    # when a market buy for 3 lots with a generous lock arrives
    reply = d.market_order(3, 20, BUY, qty=3, lock=1000)

    # then it pays 200 + 110 and reports the rest of its lock unused
    assert [(t.price, t.qty) for t in reply.trades] == [(100, 2), (110, 1)]
    assert reply.done(3).reason == DoneReason.FILLED
    assert reply.done(3).unused_lock == 1000 - 310


def test_market_buy_by_quantity_stops_when_the_lock_runs_out(d: Driver) -> None:
    # given 2 lots at 100 and 5 at 110
    d.limit(1, 10, SELL, 100, 2)
    d.limit(2, 10, SELL, 110, 5)

    # when a market buy for 5 lots arrives with only 450 locked
    reply = d.market_order(3, 20, BUY, qty=5, lock=450)

    # then it buys what 450 pays for (2 @100, 2 @110) and never overspends
    assert [(t.price, t.qty) for t in reply.trades] == [(100, 2), (110, 2)]
    done = reply.done(3)
    assert done.reason == DoneReason.LOCK_EXHAUSTED
    assert (done.remaining_qty, done.unused_lock) == (1, 450 - 420)
    assert sum(t.quote for t in reply.trades) <= 450


def test_market_buy_by_quote_spends_at_most_its_amount(d: Driver) -> None:
    # given 3 lots at 100 and 3 at 120
    d.limit(1, 10, SELL, 100, 3)
    d.limit(2, 10, SELL, 120, 3)

    # when a market buy for 450 quote units arrives (locking 500)
    reply = d.market_order(3, 20, BUY, quote=450, lock=500)

    # then it buys 3 @100 and 1 @120; 30 cannot buy another lot
    assert [(t.price, t.qty) for t in reply.trades] == [(100, 3), (120, 1)]
    done = reply.done(3)
    assert done.reason == DoneReason.FILLED
    assert (done.remaining_qty, done.remaining_quote, done.unused_lock) == (0, 30, 80)


def test_market_buy_by_quote_needs_a_lock_covering_the_amount(d: Driver) -> None:
    # when a quote-sized buy locks less than its amount
    reply = d.market_order(1, 20, BUY, quote=450, lock=449)

    # then it is rejected
    assert reply.result == ResultCode.INSUFFICIENT_LOCK


def test_market_sell_by_quantity_expires_when_bids_run_out(d: Driver) -> None:
    # given one bid for 2
    d.limit(1, 10, BUY, 100, 2)

    # when a market sell for 5 arrives
    reply = d.market_order(2, 20, SELL, qty=5, lock=5)

    # then 2 trade and 3 come back unused
    done = reply.done(2)
    assert (done.reason, done.remaining_qty, done.unused_lock) == (DoneReason.EXPIRED, 3, 3)


def test_market_sell_by_quote_sells_until_the_amount_is_reached(d: Driver) -> None:
    # given bids for 2 @100 and 5 @90
    d.limit(1, 10, BUY, 100, 2)
    d.limit(2, 10, BUY, 90, 5)

    # when a market sell for 400 quote units arrives with 10 lots locked
    reply = d.market_order(3, 20, SELL, quote=400, lock=10)

    # then it sells 2 @100 and 2 @90 (380); one more lot would overshoot
    assert [(t.price, t.qty) for t in reply.trades] == [(100, 2), (90, 2)]
    done = reply.done(3)
    assert (done.reason, done.remaining_quote, done.unused_lock) == (DoneReason.FILLED, 20, 6)


def test_market_sell_by_quote_stops_at_its_locked_quantity(d: Driver) -> None:
    # given a deep bid
    d.limit(1, 10, BUY, 100, 50)

    # when a market sell for 1000 quote units has only 3 lots locked
    reply = d.market_order(2, 20, SELL, quote=1000, lock=3)

    # then it sells 3 and says its lock ran out
    assert [t.qty for t in reply.trades] == [3]
    assert reply.done(2).reason == DoneReason.LOCK_EXHAUSTED


def test_market_order_on_an_empty_book_expires(d: Driver) -> None:
    # when a market buy meets an empty book
    reply = d.market_order(1, 20, BUY, qty=1, lock=100)

    # then it expires with its whole lock unused
    done = reply.done(1)
    assert (done.reason, done.remaining_qty, done.unused_lock) == (DoneReason.EXPIRED, 1, 100)


def test_limit_buy_must_lock_its_full_notional(d: Driver) -> None:
    # when a limit buy of 3 @100 locks 299
    reply = d.limit(1, 20, BUY, 100, 3, lock=299)

    # then it is rejected before touching the book
    assert reply.result == ResultCode.INSUFFICIENT_LOCK and d.depth(BUY) == []


def test_resting_buy_keeps_its_over_lock_and_returns_it_when_done(d: Driver) -> None:
    # given a bid of 2 @100 locking 250
    d.limit(1, 20, BUY, 100, 2, lock=250)

    # when a sell fills it
    reply = d.limit(2, 10, SELL, 100, 2)

    # then the maker's done reports the 50 it did not need
    assert reply.done(1).unused_lock == 50


# --- self-trade prevention ------------------------------------------------------------


def test_stp_none_lets_a_user_trade_with_itself(d: Driver) -> None:
    # given user 20's own ask
    d.limit(1, 20, SELL, 100, 1)

    # when user 20 buys with STP NONE
    reply = d.limit(2, 20, BUY, 100, 1, stp=STP.NONE)

    # then it trades
    assert [(t.maker_user, t.taker_user) for t in reply.trades] == [(20, 20)]


def test_stp_expire_taker_stops_at_the_own_order(d: Driver) -> None:
    # given someone's ask, then user 20's own ask, then another
    d.limit(1, 10, SELL, 100, 1)
    d.limit(2, 20, SELL, 100, 1)
    d.limit(3, 10, SELL, 100, 1)

    # when user 20 buys 3 with EXPIRE_TAKER
    reply = d.limit(4, 20, BUY, 100, 3, stp=STP.EXPIRE_TAKER)

    # then it takes the first ask and expires at its own; the makers stay
    assert [t.maker for t in reply.trades] == [1]
    done = reply.done(4)
    assert (done.reason, done.remaining_qty) == (DoneReason.STP_EXPIRED, 2)
    assert d.depth(SELL) == [(100, 2)] and d.depth(BUY) == []


def test_stp_expire_maker_removes_own_orders_and_goes_on(d: Driver) -> None:
    # given user 20's own ask ahead of someone else's
    d.limit(1, 20, SELL, 100, 1)
    d.limit(2, 10, SELL, 100, 1)

    # when user 20 buys 2 with EXPIRE_MAKER
    reply = d.limit(3, 20, BUY, 100, 2, stp=STP.EXPIRE_MAKER)

    # then its own ask expires, the other trades and the remainder rests
    assert reply.done(1).reason == DoneReason.STP_EXPIRED
    assert (reply.done(1).remaining_qty, reply.done(1).unused_lock) == (1, 1)
    assert [t.maker for t in reply.trades] == [2]
    assert reply.event_types == [EventType.DONE, EventType.TRADE, EventType.DONE]
    assert d.depth(BUY) == [(100, 1)] and d.depth(SELL) == []


def test_stp_expire_both_removes_the_maker_and_the_taker(d: Driver) -> None:
    # given user 20's own ask and another behind it
    d.limit(1, 20, SELL, 100, 1)
    d.limit(2, 10, SELL, 100, 1)

    # when user 20 buys with EXPIRE_BOTH
    reply = d.limit(3, 20, BUY, 100, 2, stp=STP.EXPIRE_BOTH)

    # then both expire and nothing trades
    assert [x.order for x in reply.dones] == [1, 3]
    assert {x.reason for x in reply.dones} == {DoneReason.STP_EXPIRED}
    assert reply.trades == [] and d.depth(SELL) == [(100, 1)]


# --- stops ------------------------------------------------------------------------


def test_stop_loss_sell_triggers_when_the_price_falls_to_it(d: Driver) -> None:
    # given a trade at 100, bids at 95 and 90, and a stop-loss sell at 96
    d.limit(1, 10, SELL, 100, 1)
    d.limit(2, 11, BUY, 100, 1)
    d.limit(3, 12, BUY, 95, 1)
    d.limit(4, 12, BUY, 90, 5)
    accepted = d.stop(5, 20, SELL, OrderType.STOP_LOSS, 96, qty=2, lock=2)
    assert accepted.result == ResultCode.OK and accepted.events == []

    # when a trade prints at 95
    reply = d.limit(6, 13, SELL, 95, 1)

    # then the stop fires as a market sell after that trade
    assert reply.triggered == [5]
    assert [(t.taker, t.price, t.qty) for t in reply.trades] == [(6, 95, 1), (5, 90, 2)]
    assert reply.event_types == [
        EventType.TRADE,
        EventType.DONE,
        EventType.DONE,
        EventType.STOP_TRIGGERED,
        EventType.TRADE,
        EventType.DONE,
    ]
    assert reply.done(5).reason == DoneReason.FILLED


def test_stop_loss_limit_buy_triggers_when_the_price_rises_to_it(d: Driver) -> None:
    # given a stop-loss-limit buy (stop 105, limit 106) and asks at 105 and 106
    d.stop(1, 20, BUY, OrderType.STOP_LOSS_LIMIT, 105, price=106, qty=3, lock=318)
    d.limit(2, 10, SELL, 105, 1)
    d.limit(3, 10, SELL, 106, 1)

    # when someone buys at 105
    reply = d.limit(4, 11, BUY, 105, 1)

    # then the stop becomes a limit buy at 106, takes 1 and rests 2
    assert reply.triggered == [1]
    assert [(t.taker, t.price) for t in reply.trades] == [(4, 105), (1, 106)]
    assert d.depth(BUY) == [(106, 2)]


def test_take_profit_orders_trigger_in_their_direction(d: Driver) -> None:
    # given a take-profit sell at 110 and a take-profit-limit buy at 90
    d.stop(1, 20, SELL, OrderType.TAKE_PROFIT, 110, qty=1, lock=1)
    d.stop(
        2, 21, BUY, OrderType.TAKE_PROFIT_LIMIT, 90, price=90, qty=1, lock=90, tif=TimeInForce.IOC
    )

    # when a trade prints at 110
    d.limit(3, 10, BUY, 110, 2)
    up = d.limit(4, 11, SELL, 110, 1)

    # then only the sell fires (and trades with the remaining bid)
    assert up.triggered == [1]
    assert [(t.taker, t.maker) for t in up.trades] == [(4, 3), (1, 3)]

    # when a trade prints at 90
    d.limit(5, 12, SELL, 90, 1)
    d.limit(6, 12, SELL, 91, 1)
    down = d.limit(7, 13, BUY, 90, 1)

    # then the buy fires as an IOC limit at 90 and finds nothing left at 90
    assert down.triggered == [2]
    assert down.done(2).reason == DoneReason.EXPIRED


def test_stop_that_would_trigger_at_once_is_rejected(d: Driver) -> None:
    # given a last price of 100
    d.limit(1, 10, SELL, 100, 1)
    d.limit(2, 11, BUY, 100, 1)

    # when a stop-loss sell at 100 and a stop-loss buy at 100 arrive
    sell = d.stop(3, 20, SELL, OrderType.STOP_LOSS, 100, qty=1, lock=1)
    buy = d.stop(4, 20, BUY, OrderType.STOP_LOSS, 100, qty=1, lock=1000)

    # then both are rejected
    assert sell.result == buy.result == ResultCode.STOP_WOULD_TRIGGER


def test_triggered_stops_cascade(d: Driver) -> None:
    # given a last price of 100, bids at 99 and 98, and stop-loss sells at 99 and 98
    d.limit(1, 10, SELL, 100, 1)
    d.limit(2, 11, BUY, 100, 1)
    d.limit(3, 11, BUY, 99, 1)
    d.limit(4, 11, BUY, 98, 1)
    d.stop(5, 20, SELL, OrderType.STOP_LOSS, 98, qty=1, lock=1)
    d.stop(6, 21, SELL, OrderType.STOP_LOSS, 99, qty=1, lock=1)

    # when a sell prints at 99
    reply = d.market_order(7, 12, SELL, qty=1, lock=1)

    # then stop 6 fires, prints 98, and that fires stop 5 (which finds no bid)
    assert reply.triggered == [6, 5]
    assert [(t.taker, t.price) for t in reply.trades] == [(7, 99), (6, 98)]
    assert reply.done(5).reason == DoneReason.EXPIRED


def test_same_stop_price_fires_oldest_first(d: Driver) -> None:
    # given a last price of 100 and two stop-loss-limit sells at 99 (ids reversed)
    d.limit(1, 10, SELL, 100, 1)
    d.limit(2, 11, BUY, 100, 1)
    d.stop(9, 20, SELL, OrderType.STOP_LOSS_LIMIT, 99, price=50, qty=1, lock=1)
    d.stop(8, 21, SELL, OrderType.STOP_LOSS_LIMIT, 99, price=50, qty=1, lock=1)
    d.limit(3, 11, BUY, 99, 1)

    # when a trade prints at 99
    reply = d.limit(4, 12, SELL, 99, 1)

    # then they fire in arrival order and rest in that order
    assert reply.triggered == [9, 8]
    assert [o.id for o in d.market.book.resting_orders()] == [9, 8]


def test_pending_stop_can_be_cancelled(d: Driver) -> None:
    # given a pending stop
    d.stop(1, 20, SELL, OrderType.STOP_LOSS, 90, qty=2, lock=2)

    # when it is cancelled
    reply = d.cancel(1, 20)

    # then it is done with its lock unused and no level changes
    done = reply.done(1)
    assert (done.reason, done.remaining_qty, done.unused_lock) == (DoneReason.CANCELED, 2, 2)
    assert reply.levels == [] and d.market.book.stop_orders() == []


# --- cancels ------------------------------------------------------------------------


def test_cancel_returns_remaining_and_unused(d: Driver) -> None:
    # given a bid of 5 @100, 2 of them filled
    d.limit(1, 20, BUY, 100, 5, lock=600)
    d.limit(2, 10, SELL, 100, 2)

    # when it is cancelled
    reply = d.cancel(1, 20)

    # then the rest comes back and the level goes
    done = reply.done(1)
    assert (done.reason, done.remaining_qty, done.unused_lock) == (DoneReason.CANCELED, 3, 400)
    assert reply.levels == [(BUY, 100, 0)]


def test_cancel_of_an_unknown_or_foreign_order_is_rejected(d: Driver) -> None:
    # given user 20's bid
    d.limit(1, 20, BUY, 100, 1)

    # when someone else cancels it, and someone cancels an id never placed
    foreign = d.cancel(1, 21)
    unknown = d.cancel(99, 20)

    # then both are rejected and the bid stays
    assert foreign.result == ResultCode.USER_MISMATCH
    assert unknown.result == ResultCode.UNKNOWN_ORDER
    assert d.depth(BUY) == [(100, 1)]


def test_cancel_all_cancels_one_users_orders_in_id_order(d: Driver) -> None:
    # given user 20 with two bids, an ask and a stop, and user 21 with a bid
    d.limit(3, 20, BUY, 99, 1)
    d.limit(1, 20, BUY, 98, 1)
    d.limit(2, 21, BUY, 99, 1)
    d.limit(5, 20, SELL, 120, 1)
    d.stop(4, 20, SELL, OrderType.STOP_LOSS, 50, qty=1, lock=1)

    # when user 20 cancels all
    reply = d.cancel_all(20)

    # then exactly its four orders are cancelled, by ascending id
    assert [(x.order, x.reason) for x in reply.dones] == [
        (i, DoneReason.CANCELED) for i in (1, 3, 4, 5)
    ]
    assert d.depth(BUY) == [(99, 1)] and d.depth(SELL) == []
    assert reply.levels == [(BUY, 99, 1), (BUY, 98, 0), (SELL, 120, 0)]


# --- market status ------------------------------------------------------------------


def test_halt_rejects_new_orders_but_allows_cancels(d: Driver) -> None:
    # given a resting bid and a halted market
    d.limit(1, 20, BUY, 100, 1)
    assert d.halt().result == ResultCode.OK

    # when an order and a cancel arrive
    place = d.limit(2, 10, SELL, 100, 1)
    cancel = d.cancel(1, 20)

    # then the order is rejected and the cancel works
    assert place.result == ResultCode.MARKET_HALTED
    assert cancel.result == ResultCode.OK and d.depth(BUY) == []

    # when the market resumes, orders are accepted again
    assert d.resume().result == ResultCode.OK
    assert d.limit(3, 10, SELL, 100, 1).result == ResultCode.OK


def test_commands_before_market_create_are_rejected(book_cls: type) -> None:
    # given a market that was never created
    d = Driver(book_cls(), create=False)

    # when orders and controls arrive
    replies = [d.limit(1, 1, BUY, 1, 1), d.cancel(1, 1), d.cancel_all(1), d.halt()]

    # then each says the market is unknown
    assert {r.result for r in replies} == {ResultCode.MARKET_UNKNOWN}


def test_market_create_checks_symbol_and_existence(book_cls: type) -> None:
    # given a fresh market
    d = Driver(book_cls(), create=False)

    # when created under the wrong symbol, then right, then again
    wrong = d.send(encode_market_create(symbol="ETHUSDT"))
    right = d.send(encode_market_create(symbol="BTCUSDT", dedupe_window=10))
    again = d.send(encode_market_create(symbol="BTCUSDT"))

    # then only the right one takes effect
    assert wrong.result == ResultCode.SYMBOL_MISMATCH
    assert right.result == ResultCode.OK and d.market.dedupe_window == 10
    assert again.result == ResultCode.MARKET_EXISTS


def test_snapshot_request_reports_the_state_hash(d: Driver) -> None:
    # given some state
    d.limit(1, 20, BUY, 100, 1)

    # when a snapshot is requested
    reply = d.snapshot()

    # then the output carries the hash of the state at that point
    assert reply.events == [[EventType.SNAPSHOT, d.market.state_hash()]]
    assert d.market.snapshot_requested


# --- duplicates ---------------------------------------------------------------------


def test_duplicate_place_is_ignored_whether_open_finished_or_rejected(d: Driver) -> None:
    # given an open order, a filled one and a rejected one
    d.limit(1, 20, BUY, 100, 1)
    d.limit(2, 21, SELL, 200, 1)
    d.limit(3, 22, BUY, 200, 1)
    d.limit(4, 23, BUY, 100, 1, lock=1)
    before = d.market.state_hash()

    # when each id is placed again (even with other content)
    replies = [d.limit(oid, 30, SELL, 50, 9) for oid in (1, 2, 3, 4)]

    # then each is a DUPLICATE and nothing changed
    assert [r.result for r in replies] == [ResultCode.DUPLICATE] * 4
    assert all(r.events == [] and r.levels == [] for r in replies)
    assert d.market.state_hash() == before


def test_ids_older_than_the_dedupe_window(book_cls: type) -> None:
    # given a window of 2 ids and an old resting order
    d = Driver(book_cls(), create=False)
    d.send(encode_market_create(symbol="BTCUSDT", dedupe_window=2))
    d.limit(5, 20, BUY, 100, 1)
    d.limit(6, 20, BUY, 10, 1, lock=1)  # rejected, still remembered
    d.limit(7, 20, BUY, 100, 1)

    # when ids below the window come again
    still_open = d.limit(5, 20, BUY, 100, 1)
    evicted = d.limit(4, 20, BUY, 100, 1)
    in_window = d.limit(6, 20, BUY, 100, 1)

    # then an open one is a duplicate, a forgotten one is too old, a remembered one a dup
    assert still_open.result == ResultCode.DUPLICATE
    assert evicted.result == ResultCode.ORDER_ID_TOO_OLD
    assert in_window.result == ResultCode.DUPLICATE


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"order_id": 0}, ResultCode.INVALID_ORDER_ID),
        ({"user_id": -1}, ResultCode.INVALID_USER_ID),
        ({"side": 2}, ResultCode.INVALID_SIDE),
        ({"order_type": 7}, ResultCode.INVALID_TYPE),
        ({"time_in_force": 3}, ResultCode.INVALID_TIME_IN_FORCE),
        ({"order_type": OrderType.MARKET, "time_in_force": 1}, ResultCode.INVALID_TIME_IN_FORCE),
        ({"price": 0}, ResultCode.INVALID_PRICE),
        ({"order_type": OrderType.MARKET}, ResultCode.INVALID_PRICE),
        ({"stop_price": 5}, ResultCode.INVALID_STOP_PRICE),
        ({"order_type": OrderType.STOP_LOSS_LIMIT}, ResultCode.INVALID_STOP_PRICE),
        ({"quantity": 0}, ResultCode.INVALID_QUANTITY),
        ({"quote_amount": 5}, ResultCode.INVALID_QUANTITY),
        ({"quantity": 1 << 62}, ResultCode.INVALID_QUANTITY),
        (
            {"order_type": OrderType.MARKET, "price": 0, "quantity": 1, "quote_amount": 1},
            ResultCode.INVALID_QUANTITY,
        ),
        ({"stp": 4}, ResultCode.INVALID_STP),
        ({"lock": 0}, ResultCode.INSUFFICIENT_LOCK),
        ({"side": SELL, "lock": 1}, ResultCode.INSUFFICIENT_LOCK),
    ],
)
def test_invalid_place_is_rejected_with_its_reason(
    d: Driver, fields: dict[str, int], code: ResultCode
) -> None:
    # given a valid limit buy of 2 @100, altered by one field
    place = {
        "order_id": 1,
        "user_id": 20,
        "side": BUY,
        "order_type": OrderType.LIMIT,
        "price": 100,
        "quantity": 2,
        "lock": 200,
    } | fields

    # when it is placed
    reply = d.send(encode_place(**place))

    # then it is rejected with that reason and the book is untouched
    assert reply.result == code
    assert reply.events == [] and reply.levels == [] and d.depth(BUY) == []
