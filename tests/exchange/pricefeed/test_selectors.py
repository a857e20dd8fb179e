"""History reads for the futures surfaces: mark/index/premium klines and funding rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.marketdata.errors import MarketDataError
from exchange.pricefeed.history import MinuteBars
from exchange.pricefeed.models import FundingRate, PriceKind
from exchange.pricefeed.pricer import PriceTick
from exchange.pricefeed.selectors import PriceKline, funding_history, price_klines

pytestmark = pytest.mark.django_db
MINUTE = 60_000
T0 = 1_800_000_000_000  # a multiple of 5 minutes


def _tick(time_ms: int, mark: int) -> PriceTick:
    return PriceTick(
        time_ms, Decimal(mark - 5), Decimal("0.0001"), Decimal(mark), mark * 10, Decimal(0), 0
    )


def _store(marks_by_second: list[tuple[int, int]]) -> None:
    bars = MinuteBars()
    for time_ms, mark in marks_by_second:
        bars.add("BTCUSDT", _tick(time_ms, mark))
        bars.flush()


def test_mark_klines_aggregate_the_minute_bars():
    # given marks over seven minutes: 100 then 104 in minute 0, 98 in minute 1, ...
    _store([(T0, 100), (T0 + 30_000, 104), (T0 + MINUTE, 98), (T0 + 6 * MINUTE, 110)])
    # when the surfaces ask for 5-minute mark klines
    klines = price_klines(
        symbol="BTCUSDT", kind=PriceKind.MARK, interval="5m", now_ms=T0 + 7 * MINUTE
    )
    # then minutes 0-4 make one kline and minute 6 the next
    assert klines == [
        PriceKline(T0, T0 + 5 * MINUTE - 1, Decimal(100), Decimal(104), Decimal(98), Decimal(98)),
        PriceKline(
            T0 + 5 * MINUTE,
            T0 + 10 * MINUTE - 1,
            Decimal(110),
            Decimal(110),
            Decimal(110),
            Decimal(110),
        ),
    ]
    index = price_klines(
        symbol="BTCUSDT", kind=PriceKind.INDEX, interval="1m", start=T0, limit=1, now_ms=T0
    )
    assert [(k.open, k.close) for k in index] == [(Decimal(95), Decimal(99))]


def test_a_restart_within_a_minute_keeps_its_open_high_and_low():
    _store([(T0, 100), (T0 + 10_000, 120)])
    _store([(T0 + 20_000, 110)])  # a new process, same minute
    (kline,) = price_klines(
        symbol="BTCUSDT", kind=PriceKind.MARK, interval="1m", now_ms=T0 + 30_000
    )
    assert (kline.open, kline.high, kline.low, kline.close) == (100, 120, 100, 110)


def test_an_unknown_interval_is_refused():
    with pytest.raises(MarketDataError):
        price_klines(symbol="BTCUSDT", kind=PriceKind.MARK, interval="7m", now_ms=T0)


def test_funding_history_latest_or_from_a_start():
    for n in range(5):
        FundingRate.objects.create(
            symbol="BTCUSDT",
            funding_time=T0 + n * 8 * 3_600_000,
            rate=Decimal("0.0001"),
            rate_units=10_000,
            mark_price=Decimal(60_000),
            index_price=Decimal(60_000),
            average_premium=Decimal(0),
            interest_rate=Decimal("0.0001"),
            samples=480,
            applied_at=T0 + n * 8 * 3_600_000,
        )
    latest = [r.funding_time for r in funding_history(symbol="BTCUSDT", limit=2)]
    assert latest == [T0 + 3 * 28_800_000, T0 + 4 * 28_800_000]
    first = [r.funding_time for r in funding_history(start=T0 + 1, limit=2)]
    assert first == [T0 + 28_800_000, T0 + 2 * 28_800_000]
