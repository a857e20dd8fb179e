"""One average fill price for every surface (/fapi avgPrice, FMZ avg_price, native)."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.models import FuturesOrder


def test_the_average_of_fills_at_two_prices_is_off_the_tick_grid_to_8_places() -> None:
    # given fills of 0.002 at 60,000.1 and 0.001 at 60,000.2 (quote 180.0004)
    order = FuturesOrder(executed_qty=Decimal("0.003"), cum_quote=Decimal("180.0004"))
    # then the average is their quote over their quantity, at Binance's 8 places
    assert order.avg_price == Decimal("60000.13333333")


def test_no_fill_has_no_average() -> None:
    assert FuturesOrder(executed_qty=Decimal(0), cum_quote=Decimal(0)).avg_price is None
