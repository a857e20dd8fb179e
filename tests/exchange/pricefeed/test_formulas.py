"""The price feed's formulas with the worked numbers of docs/futures.md, "Mark price and funding"."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from exchange.pricefeed.formulas import (
    Quote,
    average_premium,
    funding_rate,
    impact_notional,
    impact_price,
    index_price,
    mark_price,
    median,
    premium_index,
)
from exchange.pricefeed.units import from_rate_units, to_rate_units, to_ticks

DOCS = Path(__file__).resolve().parents[3] / "docs" / "futures.md"
HOUR_MS = 3_600_000
INTEREST = Decimal("0.0001")
CAP = Decimal("0.0075")
BIDS = [(Decimal(60_050), Decimal("0.2")), (Decimal(60_040), Decimal("0.5"))]
ASKS = [(Decimal(60_070), Decimal("0.1")), (Decimal(60_080), Decimal(1))]


def _quotes(*prices_and_weights: tuple[str, str]) -> list[Quote]:
    return [
        Quote(f"source-{i}", Decimal(price), Decimal(weight), 0)
        for i, (price, weight) in enumerate(prices_and_weights)
    ]


def _section() -> str:
    text = DOCS.read_text()
    start = text.index("## Mark price and funding")
    return text[start : text.index("\n## ", start + 1)]


def _shown(value: Decimal, places: int | None = None) -> str:
    """How the docs print a figure: bold, rounded to ``places`` decimals if given."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return f"**{value}**"


def test_index_is_the_weighted_average_of_the_sources():
    index = index_price(_quotes(("60000", "1"), ("60030", "1"), ("59990", "2")))
    assert index == Decimal("60002.5")
    assert _shown(index) in _section()


def test_one_source_far_from_the_median_loses_its_weight():
    index = index_price(_quotes(("60000", "1"), ("60030", "1"), ("66000", "2")))
    assert index == Decimal(60_015)
    assert _shown(index) in _section()


def test_two_sources_far_from_the_median_make_the_median_the_index():
    index = index_price(_quotes(("60000", "1"), ("54000", "1"), ("66000", "2")))
    assert index == Decimal(60_000)
    assert _shown(index) in _section()


def test_a_source_exactly_five_percent_off_keeps_its_weight():
    # median 60,000; 63,000 is exactly 5 % above it: still weighted
    index = index_price(_quotes(("60000", "1"), ("60000", "1"), ("63000", "1")))
    assert index == Decimal(61_000)


def test_no_quote_no_index():
    assert index_price([]) is None


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median([Decimal(4), Decimal(1), Decimal(3), Decimal(2)]) == Decimal("2.5")


def test_impact_prices_walk_the_book_for_the_impact_notional():
    notional = impact_notional(125)
    assert notional == Decimal(25_000)
    assert _shown(notional) in _section()
    bid = impact_price(BIDS, notional)
    ask = impact_price(ASKS, notional)
    assert bid is not None and ask is not None
    # 25,000 USDT = 0.2 BTC at 60,050 (12,010) + 12,990 at 60,040
    assert bid * (Decimal("0.2") + Decimal(12_990) / Decimal(60_040)) == pytest.approx(
        Decimal(25_000), abs=Decimal("1e-20")
    )
    assert _shown(bid, 5) in _section()
    assert _shown(ask, 5) in _section()


def test_a_book_too_thin_for_the_impact_notional_has_no_impact_price():
    assert impact_price(BIDS, Decimal(50_000)) is None
    assert premium_index(Decimal(60_000), None, None) == 0


def test_premium_index_above_and_below():
    notional = impact_notional(125)
    bid, ask = impact_price(BIDS, notional), impact_price(ASKS, notional)
    above = premium_index(Decimal(60_000), bid, ask)
    below = premium_index(Decimal(60_100), bid, ask)
    assert above > 0 > below
    assert _shown(above, 8) in _section()
    assert _shown(below, 8) in _section()


def test_average_premium_weights_the_later_samples_more():
    samples = [Decimal("0.0002"), Decimal("0.0004"), Decimal("0.0006")]
    assert average_premium(samples) == Decimal("0.0028") / 6
    assert average_premium([]) == 0


@pytest.mark.parametrize(
    ("samples", "units"),
    [
        (["0.0002", "0.0004", "0.0006"], 10_000),  # |I - P| <= 0.05 %: F = I
        (["0.001", "0.0012", "0.0014"], 76_666),  # I - P clamped to -0.05 %
        (["0.01"], 750_000),  # capped at 0.75 %
    ],
)
def test_funding_rate_worked_examples(samples, units):
    rate = funding_rate(average_premium([Decimal(s) for s in samples]), INTEREST, CAP)
    assert to_rate_units(rate) == units
    assert f"**{units}**" in _section()
    assert _shown(from_rate_units(units).normalize()) in _section()


def test_negative_funding_is_clamped_and_capped_symmetrically():
    assert funding_rate(Decimal("-0.01"), INTEREST, CAP) == -CAP
    assert to_rate_units(Decimal("-0.000766666")) == -76_666  # toward zero


def test_mark_is_the_median_of_price_1_price_2_and_the_last_trade():
    common = {
        "index": Decimal(60_000),
        "funding_estimate": INTEREST,
        "until_funding_ms": 4 * HOUR_MS,
        "interval_ms": 8 * HOUR_MS,
        "basis_average": Decimal(12),
    }
    mark = mark_price(**common, last_price=Decimal(60_020))
    assert mark == Decimal(60_012)
    assert to_ticks(mark, Decimal("0.1")) == 600_120
    assert _shown(mark) in _section()
    assert "**600120**" in _section()
    lower = mark_price(**common, last_price=Decimal(59_990))
    assert lower == Decimal(60_003)
    assert _shown(lower.normalize()) in _section()


def test_before_the_first_trade_the_index_stands_in_for_the_last_price():
    mark = mark_price(
        index=Decimal(60_000),
        funding_estimate=INTEREST,
        until_funding_ms=4 * HOUR_MS,
        interval_ms=8 * HOUR_MS,
        basis_average=Decimal(12),
        last_price=None,
    )
    assert mark == Decimal(60_003)  # median(60,003, 60,012, 60,000)


def test_ticks_round_half_to_even():
    assert to_ticks(Decimal("60000.05"), Decimal("0.1")) == 600_000
    assert to_ticks(Decimal("60000.15"), Decimal("0.1")) == 600_002
