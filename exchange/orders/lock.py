"""How much an order locks, and the same amount in the engine's integer units.

Fees are charged in the asset each side receives (the buyer pays in base, the
seller in quote), so a lock never needs room for a fee:

* SELL with a quantity locks that quantity of base.
* SELL market by quote amount locks the seller's whole available base (at
  most the market's max quantity); the engine sells until the quote amount is
  reached and the rest is released.
* BUY with a limit price locks price × quantity of quote.
* BUY market by quote amount locks exactly that amount.
* BUY market by quantity (MARKET, STOP_LOSS, TAKE_PROFIT) cannot know its
  price. It locks quantity × reference × (1 + MARKET_BUY_HEADROOM), where the
  reference is the larger of the last trade price and the stop price, capped
  by the available balance; with no reference, the available balance. The
  engine stops buying when the lock runs out and expires the remainder.

Engine units: base in lots (quantity / step size); quote in tick·lot units
(quote / (tick size × step size)), so notional = price_ticks × lots.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

from exchange.core.money import MONEY_CONTEXT, exact_units
from exchange.markets.models import Market

MARKET_BUY_HEADROOM = Decimal("0.10")


def quote_unit(market: Market) -> Decimal:
    return (market.tick_size * market.step_size).normalize()


def floor_to(value: Decimal, unit: Decimal) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return (value / unit).to_integral_value(rounding=ROUND_DOWN) * unit


def quote_to_units(market: Market, amount: Decimal) -> int:
    return exact_units(amount, quote_unit(market))


def units_to_quote(market: Market, units: int) -> Decimal:
    return quote_unit(market) * units


def market_buy_lock(
    market: Market, *, quantity: Decimal, available: Decimal, reference: Decimal | None
) -> Decimal:
    """The lock of a market buy by quantity: see the module docstring."""
    cap = available
    if reference is not None:
        cap = min(available, quantity * reference * (1 + MARKET_BUY_HEADROOM))
    return floor_to(cap, quote_unit(market))
