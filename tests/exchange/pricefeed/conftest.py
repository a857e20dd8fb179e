"""A local HTTP price endpoint (no internet in tests) and the example contract."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from exchange.pricefeed.contracts import FeedContract
from tests.exchange.pricefeed.support import PriceServer


@pytest.fixture
def price_server() -> Iterator[PriceServer]:
    server = PriceServer()
    yield server
    server.stop()


def example_contract(**changes: object) -> FeedContract:
    """BTCUSDT as in docs/futures.md: tick 0.1, lot 0.001, 125x, 0.01 % interest, 0.75 % cap."""
    spec: dict[str, object] = {
        "symbol": "BTCUSDT",
        "group": "USDT",
        "engine_id": 1,
        "tick_size": Decimal("0.1"),
        "step_size": Decimal("0.001"),
        "index_symbol": None,
        "funding_interval_seconds": 8 * 3600,
        "interest_rate": Decimal("0.0001"),
        "funding_cap": Decimal("0.0075"),
        "max_leverage": 125,
    }
    spec.update(changes)
    return FeedContract(**spec)  # type: ignore[arg-type]
