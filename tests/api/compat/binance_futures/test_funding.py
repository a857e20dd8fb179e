"""The price feed's figures through ``/fapi``: ccxt binanceusdm ``fetch_funding_rate(s)``,
``fetch_funding_rate_history`` and mark-price klines (default options)."""

from __future__ import annotations

from decimal import Decimal

from exchange.pricefeed.models import FundingRate, PriceBar, PriceKind
from tests.api.compat.binance_futures.conftest import set_mark
from tests.api.compat.binance_futures.test_ccxt_binanceusdm import SYMBOL, usdm

HOUR = 3_600_000


def test_funding_rate_history_and_mark_klines(live, contract):
    # given the feed's latest mark and two applied fundings, and two minutes of mark bars
    set_mark(contract, Decimal("60000.5"))
    base = 1_790_000_000_000 // (8 * HOUR) * (8 * HOUR)  # a past funding time
    for n, rate in enumerate((Decimal("0.0001"), Decimal("-0.00005"))):
        FundingRate.objects.create(
            symbol="BTCUSDT",
            funding_time=base + n * 8 * HOUR,
            rate=rate,
            rate_units=int(rate * 10**8),
            mark_price=Decimal(60_000),
            index_price=Decimal(60_000),
            average_premium=Decimal(0),
            interest_rate=Decimal("0.0001"),
            samples=1,
            applied_at=base + n * 8 * HOUR,
        )
    for minute, close in ((0, "60010"), (1, "60020")):
        PriceBar.objects.create(
            symbol="BTCUSDT",
            kind=PriceKind.MARK,
            open_time=base + minute * 60_000,
            open=Decimal(60_000),
            high=Decimal(close),
            low=Decimal(59_990),
            close=Decimal(close),
        )
    ex = usdm(live)
    ex.load_markets()

    # when / then: the current rate and mark
    current = ex.fetch_funding_rate(SYMBOL)
    assert (current["markPrice"], current["fundingRate"]) == (60000.5, 0.0001)
    assert SYMBOL in ex.fetch_funding_rates([SYMBOL])
    # the history, oldest first
    history = ex.fetch_funding_rate_history(SYMBOL, since=base)
    assert [(h["fundingRate"], h["timestamp"]) for h in history] == [
        (0.0001, base),
        (-0.00005, base + 8 * HOUR),
    ]
    # mark-price klines: the two minutes as one 5m bar
    [bar] = ex.fetch_ohlcv(SYMBOL, "5m", since=base, params={"price": "mark"})
    assert bar[:5] == [base, 60000, 60020, 59990, 60020]
    info = ex.fapiPublicGetFundingInfo()
    assert [(i["symbol"], i["fundingIntervalHours"]) for i in info] == [("BTCUSDT", 8)]
