"""PLACE's initial-margin check, reduce-only, SET_LEVERAGE and WITHDRAW on both books."""

from __future__ import annotations

import pytest

from matching_engine.book import OrderBook
from matching_engine.futures import protocol as fp
from matching_engine.futures.protocol import FuturesEvent, FuturesResult
from tests.matching_engine.futures.support import BTC, FDriver, events_of, px, usdt

BUY, SELL = 0, 1


@pytest.fixture
def f(book_cls: type[OrderBook]) -> FDriver:
    d = FDriver(book_cls)
    d.mark(px(60_000))
    d.deposit(100, usdt(1_000_000))  # a deep-pocketed market maker
    return d


def test_margin_check_accepts_exactly_enough_and_refuses_one_atom_short(f: FDriver) -> None:
    # given: 1 BTC at 60,000 at the default 20x needs 3,000 IM + 30 taker fee = 3,030 USDT
    f.deposit(1, usdt(3_030) - 1)
    f.deposit(2, usdt(3_030))
    # when / then
    assert f.place(1, BUY, px(60_000), 1000)[2] == FuturesResult.INSUFFICIENT_MARGIN
    assert f.place(2, BUY, px(60_000), 1000)[2] == FuturesResult.OK
    assert f.group.available(f.group.accounts[2]) == 0
    assert f.group.accounts[1].orders == {}


def test_resting_orders_reserve_margin_until_canceled(f: FDriver) -> None:
    f.deposit(1, usdt(3_030))
    out = f.place(1, BUY, px(60_000), 500)
    assert out[2] == FuturesResult.OK
    assert f.place(1, BUY, px(60_000), 501)[2] == FuturesResult.INSUFFICIENT_MARGIN
    assert f.send(fp.encode_cancel(order_id=out[3], user_id=1))[2] == FuturesResult.OK
    assert f.place(1, BUY, px(60_000), 1000)[2] == FuturesResult.OK


def test_limit_through_the_mark_pays_for_its_open_loss(f: FDriver) -> None:
    # A buy limit 100 USDT above the mark books 100 USDT of loss per BTC when it fills.
    f.deposit(1, usdt(3_035 + 100))
    assert f.place(1, BUY, px(60_100), 1000)[2] == FuturesResult.INSUFFICIENT_MARGIN
    f.deposit(1, usdt(1))
    assert f.place(1, BUY, px(60_100), 1000)[2] == FuturesResult.OK


def test_reduce_only_refused_without_a_position_and_trimmed_when_it_closes(f: FDriver) -> None:
    f.deposit(1, usdt(10_000))
    assert (
        f.place(1, SELL, px(61_000), 100, reduce_only=True)[2]
        == FuturesResult.REDUCE_ONLY_WOULD_INCREASE
    )
    f.place(100, SELL, px(60_000), 100)
    f.place(1, BUY, px(60_000), 100)
    assert f.size(1) == 100
    assert (
        f.place(1, SELL, px(61_000), 101, reduce_only=True)[2]
        == FuturesResult.REDUCE_ONLY_WOULD_INCREASE
    )
    ro = f.place(1, SELL, px(61_000), 100, reduce_only=True)
    assert ro[2] == FuturesResult.OK
    # when: the position is closed by another order
    f.place(100, BUY, px(59_000), 100)
    out = f.place(1, SELL, px(59_000), 100)
    # then: the reduce-only order would now open a short, so it is gone
    assert f.size(1) == 0
    assert [ro[3], 1, fp.DoneReason.REDUCE_ONLY, 100] in [
        e[1:] for e in events_of(out, FuturesEvent.DONE)
    ]


def test_set_leverage_over_the_bracket_and_with_an_open_position(f: FDriver) -> None:
    f.deposit(1, usdt(4_000))
    assert f.send(fp.encode_set_leverage(user_id=1, contract=BTC, leverage=126))[2] == (
        FuturesResult.INVALID_LEVERAGE
    )
    # 1 BTC at 60,000 is a 60k USDT notional: the second bracket, 100x at most
    f.place(100, SELL, px(60_000), 1000)
    f.place(1, BUY, px(60_000), 1000)
    assert f.size(1) == 1000
    assert f.send(fp.encode_set_leverage(user_id=1, contract=BTC, leverage=125))[2] == (
        FuturesResult.LEVERAGE_TOO_HIGH
    )
    assert f.send(fp.encode_set_leverage(user_id=1, contract=BTC, leverage=100))[2] == (
        FuturesResult.OK
    )
    # Lowering leverage to 2x needs 30,000 USDT of margin the account lacks.
    assert f.send(fp.encode_set_leverage(user_id=1, contract=BTC, leverage=2))[2] == (
        FuturesResult.INSUFFICIENT_MARGIN
    )
    assert f.group.accounts[1].positions[BTC].leverage == 100


def test_withdraw_only_free_margin_and_deposits_are_exactly_once(f: FDriver) -> None:
    blob = fp.encode_deposit(request_id=9_000, user_id=1, amount=usdt(5_000))
    assert f.send(blob)[2] == FuturesResult.OK
    assert f.send(blob)[2] == FuturesResult.DUPLICATE
    f.place(100, SELL, px(60_000), 1000)
    f.place(1, BUY, px(60_000), 1000)  # IM 3,000, fee 30 paid: 1,970 free
    free = usdt(5_000 - 30 - 3_000)
    w = fp.encode_withdraw(request_id=9_001, user_id=1, amount=free + 1)
    assert f.send(w)[2] == FuturesResult.INSUFFICIENT_MARGIN
    w = fp.encode_withdraw(request_id=9_002, user_id=1, amount=free)
    assert f.send(w)[2] == FuturesResult.OK
    assert f.wallet(1) == usdt(3_000)


def test_unknown_contract_no_mark_and_bad_fields_have_their_codes(
    book_cls: type[OrderBook],
) -> None:
    d = FDriver(book_cls)
    d.deposit(1, usdt(1_000))
    assert d.place(1, BUY, px(60_000), 10)[2] == FuturesResult.NO_MARK_PRICE
    d.mark(px(60_000))
    assert d.place(1, 7, px(60_000), 10)[2] == FuturesResult.INVALID_SIDE
    assert d.place(1, BUY, px(60_000), 0)[2] == FuturesResult.INVALID_QUANTITY
    assert d.place(1, BUY, px(60_000), 10, order_type=2)[2] == FuturesResult.INVALID_PRICE
    assert d.place(1, BUY, px(1), 1)[2] == FuturesResult.BELOW_MIN_NOTIONAL
    out = d.send(fp.encode_place(order_id=77, user_id=1, contract=9, side=BUY, price=1, quantity=1))
    assert out[2] == FuturesResult.CONTRACT_UNKNOWN
    assert d.send(b"\xc1")[2] == FuturesResult.MALFORMED
