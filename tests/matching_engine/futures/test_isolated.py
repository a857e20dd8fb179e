"""Isolated margin: SET_MARGIN_TYPE, ADJUST_ISOLATED_MARGIN, and liquidating one position alone.

The numbers are the isolated worked example of docs/futures.md.
"""

from __future__ import annotations

import pytest

from matching_engine.book import OrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.protocol import (
    BalanceReason,
    FuturesEvent,
    FuturesResult,
    MarginType,
)
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    d.deposit(100, usdt(1_000_000))  # market maker
    return d


def isolated(f: FDriver, user: int) -> list[object]:
    return f.send(
        fp.encode_set_margin_type(user_id=user, contract=BTC, margin_type=MarginType.ISOLATED)
    )


def adjust(f: FDriver, user: int, delta: int) -> list[object]:
    return f.send(fp.encode_adjust_isolated_margin(user_id=user, contract=BTC, delta=delta))


def open_isolated_long(f: FDriver, wallet: int = usdt(10_000)) -> None:
    """User 1 (10,000 USDT) buys 1 BTC at 60,000, isolated at 20x: 3,000 USDT margin."""
    f.deposit(1, wallet)
    assert isolated(f, 1)[2] == FuturesResult.OK
    f.place(100, SELL, px(60_000), 1000)
    assert f.place(1, BUY, px(60_000), 1000)[2] == FuturesResult.OK


def test_an_isolated_fill_moves_its_initial_margin_out_of_the_cross_wallet(f: FDriver) -> None:
    # when
    open_isolated_long(f)
    # then: wallet 10,000 - 30 fee; 3,000 of it is the position's
    acct = f.group.accounts[1]
    assert acct.wallet == usdt(9_970)
    assert acct.positions[BTC].margin == usdt(3_000)
    assert acct.cross_wallet() == usdt(6_970)
    assert f.group.available(acct) == usdt(6_970)


def test_margin_type_change_is_refused_with_a_position_or_open_orders(f: FDriver) -> None:
    f.deposit(1, usdt(10_000))
    out = f.place(1, BUY, px(59_000), 100)
    assert isolated(f, 1)[2] == FuturesResult.MARGIN_TYPE_HAS_ORDERS
    f.send(fp.encode_cancel(order_id=out[3], user_id=1))
    stop = f.place(
        1, SELL, 0, 100, order_type=fp.FuturesOrderType.STOP_MARKET, stop_price=px(50_000)
    )
    assert stop[2] == FuturesResult.OK
    assert isolated(f, 1)[2] == FuturesResult.MARGIN_TYPE_HAS_ORDERS
    f.send(fp.encode_cancel(order_id=stop[3], user_id=1))
    assert isolated(f, 1)[2] == FuturesResult.OK
    f.place(100, SELL, px(60_000), 100)
    f.place(1, BUY, px(60_000), 100)
    cross = fp.encode_set_margin_type(user_id=1, contract=BTC, margin_type=MarginType.CROSSED)
    assert f.send(cross)[2] == FuturesResult.MARGIN_TYPE_HAS_POSITION
    bad = fp.encode_set_margin_type(user_id=1, contract=BTC, margin_type=2)
    assert f.send(bad)[2] == FuturesResult.INVALID_MARGIN_TYPE


def test_adjust_isolated_margin_adds_and_removes_within_bounds(f: FDriver) -> None:
    open_isolated_long(f)
    acct = f.group.accounts[1]
    # given: cross available 6,970; one atom more is refused
    assert adjust(f, 1, usdt(6_970) + 1)[2] == FuturesResult.INSUFFICIENT_MARGIN
    out = adjust(f, 1, usdt(1_000))
    assert out[2] == FuturesResult.OK
    assert events_of(out, FuturesEvent.ISOLATED_MARGIN) == [
        [FuturesEvent.ISOLATED_MARGIN, 1, BTC, usdt(4_000), usdt(9_970)]
    ]
    # removing: the margin must stay >= the initial margin (3,000 at the mark)
    assert adjust(f, 1, -usdt(1_000) - 1)[2] == FuturesResult.INSUFFICIENT_MARGIN
    assert adjust(f, 1, -usdt(1_000))[2] == FuturesResult.OK
    assert acct.positions[BTC].margin == usdt(3_000)
    # not isolated, or flat: refused
    assert adjust(f, 100, usdt(1))[2] == FuturesResult.NOT_ISOLATED


def test_isolated_liquidation_leaves_the_cross_wallet_alone(f: FDriver) -> None:
    # given: the isolated long has 3,000 margin; maintenance at ~57k is 0.5 % - 50, so
    # 3,000 + (P - 60,000) < 0.005 P - 50  <=>  P < 57,236.18...: liquidation at 57,236.1
    open_isolated_long(f)
    acct = f.group.accounts[1]
    pos = acct.positions[BTC]
    assert f.group.contracts[BTC].liquidation_price(1000, pos.cost, pos.margin) == px(57_236.1)
    f.place(100, BUY, px(57_100), 2000)
    assert events_of(f.mark(px(57_236.2)), FuturesEvent.LIQUIDATION) == []
    # when
    out = f.mark(px(57_236.1))
    # then: sold at 57,100 (realized -2,900), 100 left in the margin pays the fee
    # (0.5 % of 57,236.1 = 286.18, capped at 100); the cross wallet keeps its 6,970
    assert [e[1] for e in events_of(out, FuturesEvent.LIQUIDATION)] == [1]
    assert f.size(1) == 0
    assert pos.margin == 0
    assert acct.wallet == usdt(6_970)
    fee = events_of(out, FuturesEvent.BALANCE)
    assert fee == [
        [FuturesEvent.BALANCE, 1, usdt(6_970), -usdt(100), BalanceReason.LIQUIDATION_FEE]
    ]
    assert f.group.insurance == usdt(100)


def test_isolated_deficit_is_paid_by_the_fund_not_by_the_cross_wallet(f: FDriver) -> None:
    open_isolated_long(f)
    f.place(100, BUY, px(56_000), 2000)  # the only bid, below bankruptcy (57,000)
    out = f.mark(px(57_000))
    # the IOC cannot sell above 57,000 with an empty fund: the position is ADL'd at
    # bankruptcy against the maker's short, the margin ends at exactly 0
    assert events_of(out, FuturesEvent.ADL) == [[FuturesEvent.ADL, BTC, px(57_000), 1000, 1, 100]]
    assert f.group.accounts[1].wallet == usdt(6_970)
    assert f.size(1) == 0 and f.size(100) == 0


def test_cross_and_isolated_differ_for_the_same_trade(f: FDriver) -> None:
    # given: two users with 10,000 USDT each, both 1 BTC long at 60,000, one cross, one isolated
    open_isolated_long(f)
    f.deposit(2, usdt(10_000))
    f.place(100, SELL, px(60_000), 1000)
    f.place(2, BUY, px(60_000), 1000)
    # when: the mark falls to 57,000
    out = f.mark(px(57_000))
    # then: the isolated one is liquidated (its 3,000 are gone), the cross one is not
    assert [e[1] for e in events_of(out, FuturesEvent.LIQUIDATION)] == [1]
    assert f.size(2) == 1000


def test_isolated_leverage_cannot_be_lowered_with_a_position(f: FDriver) -> None:
    open_isolated_long(f)
    lev = fp.encode_set_leverage(user_id=1, contract=BTC, leverage=10)
    assert f.send(lev)[2] == FuturesResult.LEVERAGE_REDUCTION_NOT_SUPPORTED
    lev = fp.encode_set_leverage(user_id=1, contract=BTC, leverage=25)
    assert f.send(lev)[2] == FuturesResult.OK


def test_partial_close_hands_margin_and_profit_back_to_cross(f: FDriver) -> None:
    open_isolated_long(f)
    f.place(100, BUY, px(61_000), 500)
    # when: half the position is sold at 61,000 (realized +500, fee 15.25)
    f.place(1, SELL, px(61_000), 500, reduce_only=True)
    # then: the margin (3,000 + 500) halves; the other half comes back to cross
    acct = f.group.accounts[1]
    assert acct.positions[BTC].margin == usdt(1_750)
    assert acct.wallet == usdt(9_970 + 500 - 15.25)


def test_funding_moves_an_isolated_margin_and_still_sums_to_zero(f: FDriver) -> None:
    open_isolated_long(f)
    fund = f.group.insurance
    # when: 0.01 % at 60,000: the isolated long pays 6 USDT to the maker's cross short
    out = f.send(fp.encode_funding(contract=BTC, rate=10_000))
    # then
    paid = [e[5] for e in events_of(out, FuturesEvent.FUNDING)]
    assert sorted(paid) == [-usdt(6), usdt(6)]
    assert sum(paid) + (f.group.insurance - fund) == 0
    assert f.group.accounts[1].positions[BTC].margin == usdt(3_000 - 6)
    assert events_of(out, FuturesEvent.ISOLATED_MARGIN) == [
        [FuturesEvent.ISOLATED_MARGIN, 1, BTC, usdt(2_994), usdt(9_964)]
    ]
