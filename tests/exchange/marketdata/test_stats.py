"""Klines, the 24h ticker and the level book against independent computations."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.marketdata.book import LevelBook
from exchange.marketdata.intervals import INTERVALS, bucket
from exchange.marketdata.stats import Klines, RollingTicker, TradeTick

HOUR = 3_600_000
T0 = 1_795_000_000_000  # 2026-11-19


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


def test_buckets_follow_binance_alignment():
    at = ms("2026-11-19T13:47:12.345")
    assert bucket("1m", at) == (ms("2026-11-19T13:47"), ms("2026-11-19T13:48") - 1)
    assert bucket("4h", at) == (ms("2026-11-19T12:00"), ms("2026-11-19T16:00") - 1)
    assert bucket("1w", at) == (ms("2026-11-16T00:00"), ms("2026-11-23T00:00") - 1)  # Monday
    assert bucket("1M", at) == (ms("2026-11-01T00:00"), ms("2026-12-01T00:00") - 1)
    assert bucket("1M", ms("2026-12-31T23:59:59")) == (
        ms("2026-12-01T00:00"),
        ms("2027-01-01T00:00") - 1,
    )


trade_lists = st.lists(
    st.tuples(st.integers(0, 3 * HOUR), st.integers(1, 1000), st.integers(1, 50), st.booleans()),
    min_size=1,
    max_size=200,
).map(
    lambda rows: [
        TradeTick(time=T0 + dt_, trade_id=i + 1, price=p, qty=q, quote=p * q, taker_buy=b)
        for i, (dt_, p, q, b) in enumerate(sorted(rows, key=lambda r: r[0]))
    ]
)


@settings(max_examples=150, deadline=None)
@given(trades=trade_lists)
def test_klines_equal_a_direct_aggregation(trades):
    klines = Klines()
    closed: dict[tuple[str, int], object] = {}
    for t in trades:
        for bar in klines.add(t):
            closed[(bar.interval, bar.open_time)] = bar
    for interval in INTERVALS:
        groups: dict[int, list[TradeTick]] = {}
        for t in trades:
            groups.setdefault(bucket(interval, t.time)[0], []).append(t)
        for open_time, group in groups.items():
            bar = closed[(interval, open_time)]
            expected = (
                group[0].price,
                max(t.price for t in group),
                min(t.price for t in group),
                group[-1].price,
                sum(t.qty for t in group),
                sum(t.quote for t in group),
                len(group),
                sum(t.qty for t in group if t.taker_buy),
                sum(t.quote for t in group if t.taker_buy),
            )
            actual = (
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.quote_volume,
                bar.trades,
                bar.taker_buy_volume,
                bar.taker_buy_quote,
            )
            assert actual == expected, (interval, open_time)


@settings(max_examples=150, deadline=None)
@given(trades=trade_lists, window_h=st.integers(1, 2))
def test_rolling_ticker_equals_a_window_scan(trades, window_h):
    ticker = RollingTicker(window_ms=window_h * HOUR)
    for i, t in enumerate(trades):
        ticker.add(t)
        now = t.time
        inside = [x for x in trades[: i + 1] if now - window_h * HOUR < x.time <= now]
        before = [x for x in trades[: i + 1] if x.time <= now - window_h * HOUR]
        assert (ticker.open, ticker.high, ticker.low, ticker.last.price) == (
            inside[0].price,
            max(x.price for x in inside),
            min(x.price for x in inside),
            inside[-1].price,
        )
        assert (ticker.volume, ticker.quote_volume, ticker.count) == (
            sum(x.qty for x in inside),
            sum(x.quote for x in inside),
            len(inside),
        )
        assert ticker.prev_close == (before[-1].price if before else None)


def test_ticker_window_empties_with_time():
    ticker = RollingTicker(window_ms=HOUR)
    ticker.add(TradeTick(T0, 1, 100, 1, 100, True))
    ticker.advance(T0 + HOUR)
    assert (ticker.count, ticker.volume, ticker.high, ticker.prev_close) == (0, 0, None, 100)


def test_level_book_applies_changes_and_refuses_gaps():
    book = LevelBook()
    book.apply([(0, 100, 5), (0, 101, 2), (1, 103, 7), (1, 102, 1)], 1, 4)
    assert book.top(1) == ([(101, 2)], [(102, 1)])
    book.apply([(0, 101, 0)], 5, 5)
    assert book.top(5) == ([(100, 5)], [(102, 1), (103, 7)])
    assert book.last_update_id == 5
    with pytest.raises(ValueError, match="gap"):
        book.apply([(0, 99, 1)], 7, 7)
    assert book.top(5) == ([(100, 5)], [(102, 1), (103, 7)])
