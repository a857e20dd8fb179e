"""The one place where the feed's Decimal prices and rates become engine integers."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from matching_client.futures import RATE_SCALE


def to_ticks(price: Decimal, tick_size: Decimal) -> int:
    """A price in whole ticks, rounded half to even (a mark between ticks has no side)."""
    return int((price / tick_size).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_ticks(ticks: int, tick_size: Decimal) -> Decimal:
    return ticks * tick_size


def to_rate_units(rate: Decimal) -> int:
    """A rate in 10^-8 units, rounded toward zero so a capped rate stays within its cap."""
    return int((rate * RATE_SCALE).to_integral_value(rounding=ROUND_DOWN))


def from_rate_units(units: int) -> Decimal:
    return Decimal(units) / RATE_SCALE
