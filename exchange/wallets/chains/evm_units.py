"""Exact conversion between Decimal amounts and an EVM token's integer units.

A token's smallest unit is 10^-decimals of it (ether and most tokens: 18, USDT: 6).
Both ways are exact: an amount finer than one unit is refused, never rounded, and
the context is wide enough for any uint256 (78 digits).
"""

from __future__ import annotations

from decimal import Context, Decimal, Inexact

_EXACT = Context(prec=100, traps=[Inexact])


def to_units(amount: Decimal, decimals: int) -> int:
    """``amount`` in units of 10^-decimals; ValueError if it is finer than one unit."""
    units = amount.scaleb(decimals, _EXACT)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} is finer than 10^-{decimals}")
    return int(units)


def from_units(units: int, decimals: int) -> Decimal:
    """An integer count of 10^-decimals units as a Decimal, exactly."""
    return Decimal(units).scaleb(-decimals, _EXACT)
