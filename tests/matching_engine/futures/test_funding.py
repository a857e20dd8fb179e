"""FUNDING: longs pay shorts at the mark, payments plus rounding dust sum to zero."""

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
    for user in (1, 2, 3):
        d.deposit(user, usdt(100_000))
    d.place(1, SELL, px(60_000), 1000)
    d.place(2, BUY, px(60_000), 333)
    d.place(3, BUY, px(60_000), 667)
    return d


def test_positive_rate_longs_pay_shorts_and_the_sum_is_zero(f: FDriver) -> None:
    wallets = {u: f.wallet(u) for u in (1, 2, 3)}
    fund = f.group.insurance
    f.mark(px(61_234.5))
    # when: 0.01 % (10,000 / 10**8)
    out = f.send(fp.encode_funding(contract=BTC, rate=10_000))
    # then: 0.333 BTC * 61,234.5 * 0.0001 = 2.03910885 USDT, rounded up for the payer;
    # the short receives 6.12345 exactly and the fund keeps the 2 x 0.00000115 rounding
    paid = {e[4]: e[5] for e in events_of(out, FuturesEvent.FUNDING)}
    assert paid == {1: 6_123_450, 2: -2_039_109, 3: -4_084_342}
    assert {u: f.wallet(u) - wallets[u] for u in (1, 2, 3)} == paid
    assert sum(paid.values()) + (f.group.insurance - fund) == 0
    assert f.group.insurance - fund == 1


def test_negative_rate_shorts_pay_and_dust_goes_to_the_fund(f: FDriver) -> None:
    f.mark(px(60_000.1))
    out = f.send(fp.encode_funding(contract=BTC, rate=-3))
    paid = {e[4]: e[5] for e in events_of(out, FuturesEvent.FUNDING)}
    assert paid[1] < 0 < paid[2] and paid[3] > 0
    assert sum(paid.values()) == -f.group.insurance


def test_rate_over_the_cap_is_refused(f: FDriver) -> None:
    out = f.send(fp.encode_funding(contract=BTC, rate=750_001))
    assert out[2] == FuturesResult.FUNDING_RATE_OVER_CAP
    assert out[5] == []
