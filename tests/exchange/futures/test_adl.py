"""The ADL ranking key and quantiles (exchange.futures.adl), against docs/futures.md's numbers."""

from __future__ import annotations

import pytest

from exchange.futures.adl import adl_score, quantile
from matching_engine.futures.protocol import RATE_SCALE


def test_the_score_is_profit_ratio_times_effective_leverage():
    # a short of 0.4 BTC (400 lots) opened at 60,000 (cost -24,000 USDT = -2.4e12 atoms of
    # 10^-8 at multiplier 10,000), mark 58,000 (580,000 ticks), equity 10,795.2 USDT
    score = adl_score(
        size=-400,
        cost=-2_400_000_000_000,
        mark=580_000,
        multiplier=10_000,
        equity=1_079_520_000_000,
    )
    # upnl 800 x notional 23,200 / (cost 24,000 x equity 10,795.2), scaled by 10^8
    assert score == 800 * 23_200 * RATE_SCALE * 10**8 // (24_000 * 1_079_520_000_000)
    # a losing position ranks below any winner
    assert (
        adl_score(size=400, cost=2_400_000_000_000, mark=580_000, multiplier=10_000, equity=1) < 0
    )


@pytest.mark.parametrize(
    ("place", "count", "expected"),
    [(0, 1, 4), (0, 2, 4), (1, 2, 2), (0, 5, 4), (4, 5, 0), (9, 10, 0), (2, 10, 3)],
)
def test_quantiles_are_fifths_of_the_queue(place, count, expected):
    assert quantile(place, count) == expected
