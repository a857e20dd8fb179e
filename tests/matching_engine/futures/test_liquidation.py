"""Liquidation first: against a deep book, with the insurance fund, and with ADL.

The first test is the worked example of docs/futures.md, number for number.
"""

from __future__ import annotations

import pytest

from matching_engine.book import OrderBook
from matching_engine.futures.protocol import BalanceReason, DoneReason, FuturesEvent, FuturesResult
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    d.deposit(100, usdt(1_000_000))  # market maker
    d.deposit(200, usdt(1_000_000))  # another trader
    return d


def open_20x_long(f: FDriver) -> None:
    """Trader 1 deposits 3,100 USDT and buys 1 BTC at 60,000 at 20x (taker fee 30)."""
    f.deposit(1, usdt(3_100))
    f.place(100, SELL, px(60_000), 1000)
    assert f.place(1, BUY, px(60_000), 1000)[2] == FuturesResult.OK
    assert f.wallet(1) == usdt(3_070)


def test_worked_example_deep_book(f: FDriver) -> None:
    # given: the 20x long; at ~57k the notional is in the second bracket (0.5 %, maintenance
    # amount 50 USDT), so the liquidation price solves 3,070 + (P - 60,000) = 0.5 % * P - 50
    open_20x_long(f)
    acct = f.group.accounts[1]
    assert f.group.contracts[BTC].liquidation_price(
        1000, acct.positions[BTC].cost, acct.wallet
    ) == (px(57_165.8))
    f.place(100, BUY, px(57_000), 2000)  # a bid 2 BTC deep at 57,000
    tp = f.place(1, SELL, px(65_000), 500, reduce_only=True)  # take-profit, needs no margin
    assert tp[2] == FuturesResult.OK
    # when: the mark falls to 57,165.9 nothing happens; at 57,165.8 the account is due
    assert events_of(f.mark(px(57_165.9)), FuturesEvent.LIQUIDATION) == []
    out = f.mark(px(57_165.8))
    # then: in this one output entry, before any later command
    (liq,) = events_of(out, FuturesEvent.LIQUIDATION)
    assert liq == [FuturesEvent.LIQUIDATION, 1, usdt(235.8), usdt(235.829)]
    assert [e[3] for e in events_of(out, FuturesEvent.DONE) if e[2] == 1] == [DoneReason.LIQUIDATED]
    (trade,) = events_of(out, FuturesEvent.TRADE)
    # sold to the bid at 57,000 (above the bankruptcy price 56,930); no taker fee
    assert trade[3:6] == [px(57_000), 1000, SELL] and trade[10] == 0
    assert trade[12] == -usdt(3_000)  # realized PnL
    # 70 USDT left; the liquidation fee is 0.5 % of 57,165.8 = 285.829, capped at what is left
    assert [FuturesEvent.BALANCE, 1, 0, -usdt(70), BalanceReason.LIQUIDATION_FEE] in [
        list(e) for e in out[5]
    ]
    assert f.group.insurance == usdt(70)
    assert f.wallet(1) == 0 and f.size(1) == 0
    assert f.size(100) == 0  # the maker bought back what it sold


def test_liquidated_before_the_next_user_order_matches(f: FDriver) -> None:
    open_20x_long(f)
    f.place(100, BUY, px(56_000), 1000)
    f.mark(px(56_500))
    # The account was closed by the MARK_PRICE; this later sell matches nobody's long.
    assert f.size(1) == 0
    out = f.place(200, SELL, px(56_000), 1000)
    assert [e[7] for e in events_of(out, FuturesEvent.TRADE)] == [200]


def test_insurance_fund_covers_a_fill_below_bankruptcy(f: FDriver) -> None:
    # given: an insurance fund of 500 USDT from an earlier liquidation's fee
    f.group.insurance = usdt(500)
    f.group.net_deposits += usdt(500)
    open_20x_long(f)
    f.place(100, BUY, px(56_700), 1000)  # the only bid: 230 below bankruptcy (56,930)
    # when: the mark gaps down
    out = f.mark(px(56_800))
    # then: the fund lets the IOC reach 56,930 - 500 = 56,430, the fill at 56,700 leaves
    # the account at -230 and the fund pays that
    (trade,) = events_of(out, FuturesEvent.TRADE)
    assert trade[3] == px(56_700)
    assert [FuturesEvent.INSURANCE, usdt(270), -usdt(230), 1] in [list(e) for e in out[5]]
    assert f.wallet(1) == 0 and f.size(1) == 0
    assert events_of(out, FuturesEvent.ADL) == []


def test_auto_deleveraging_when_the_book_and_the_fund_cannot(f: FDriver) -> None:
    # given: two shorts on the other side, user 200 more profitable per margin
    f.deposit(2, usdt(10_000))
    f.place(200, SELL, px(60_000), 600)
    f.place(2, SELL, px(60_000), 400)
    open_20x_long(f)  # time priority: buys from users 200 and 2; the maker's ask rests
    assert (f.size(1), f.size(200), f.size(2), f.size(100)) == (1000, -600, -400, 0)
    # no bid in the book and an empty fund
    out = f.mark(px(56_000))
    (adl_a, adl_b) = events_of(out, FuturesEvent.ADL)
    # then: the long is closed at its bankruptcy price 56,930 against the shorts, ranked
    # by profit ratio x effective leverage: user 200 (1,000,000 USDT behind 0.6 BTC)
    # ranks below user 2 (10,000 USDT behind 0.4 BTC)
    assert adl_a == [FuturesEvent.ADL, BTC, px(56_930), 400, 1, 2]
    assert adl_b == [FuturesEvent.ADL, BTC, px(56_930), 600, 1, 200]
    assert f.wallet(1) == 0 and f.size(1) == 0
    assert f.size(2) == 0 and f.size(200) == 0
    assert f.group.insurance == 0
