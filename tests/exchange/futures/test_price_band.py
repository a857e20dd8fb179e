"""PERCENT_PRICE's band: bounds on the tick grid inside mark x [0.95, 1.05]."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.futures.models import Contract
from exchange.futures.price_band import band


@pytest.mark.parametrize(
    ("tick", "mark", "expected"),
    [
        ("0.10000000", "60000", ("57000.0", "63000.0")),
        ("0.10000000", "60000.3", ("57000.3", "63000.3")),  # 57000.285 up, 63000.315 down
        ("10", "1234", ("1180", "1290")),  # 1172.3 up, 1295.7 down, whole tens
    ],
)
def test_band_bounds_are_inside_the_band_on_the_tick_grid(tick, mark, expected):
    contract = Contract(tick_size=Decimal(tick))
    low, high = band(contract, Decimal(mark))
    assert (str(low), str(high)) == expected
