"""The markets of the chaos test and the ranges its random orders are drawn from.

Shared by the test (which creates the markets) and the worker (which trades them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class MarketSpec:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    # Random prices are mid + k * price_step for |k| <= price_steps, so buys and sells cross.
    mid: Decimal
    price_step: Decimal
    price_steps: int
    # Random quantities are n * qty_unit for 1 <= n <= qty_units.
    qty_unit: Decimal
    qty_units: int
    # Random quote amounts (quoteOrderQty) in whole quote units.
    quote_amount_range: tuple[int, int]


MARKETS = (
    MarketSpec(
        symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        tick_size=D("0.01"),
        step_size=D("0.00001"),
        min_qty=D("0.00001"),
        max_qty=D("9000"),
        min_notional=D("5"),
        maker_fee=D("0.001"),
        taker_fee=D("0.002"),
        mid=D("60000"),
        price_step=D("5.37"),
        price_steps=40,
        qty_unit=D("0.00137"),
        qty_units=30,
        quote_amount_range=(10, 3000),
    ),
    MarketSpec(
        symbol="ETHUSDT",
        base="ETH",
        quote="USDT",
        tick_size=D("0.01"),
        step_size=D("0.0001"),
        min_qty=D("0.0001"),
        max_qty=D("100000"),
        min_notional=D("1"),
        maker_fee=D("0.0008"),
        taker_fee=D("0.001"),
        mid=D("3000"),
        price_step=D("0.73"),
        price_steps=40,
        qty_unit=D("0.0113"),
        qty_units=40,
        quote_amount_range=(5, 1500),
    ),
)
SYMBOLS = tuple(m.symbol for m in MARKETS)

# What each user is credited before trading: rich enough that most orders are
# accepted, poor enough that INSUFFICIENT_BALANCE happens too.
FUNDING = {"USDT": "400000", "BTC": "6", "ETH": "120"}
