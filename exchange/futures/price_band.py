"""PERCENT_PRICE: a LIMIT order's price must lie within a band around the mark price.

Binance refuses a limit price above ``mark * multiplierUp`` or below
``mark * multiplierDown`` so that a fat-fingered order cannot rest far from the market
or sweep the book; exchangeInfo advertises the same multipliers. Before the price
feed's first mark there is no band: the engine refuses opening orders without a mark.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from exchange.futures.errors import FuturesError, FuturesErrorCode
from exchange.futures.marks import mark_of
from exchange.futures.models import Contract, FuturesOrderType
from exchange.futures.requests import FuturesOrderRequest

# The multipliers Binance lists for its perpetuals.
MULTIPLIER_UP = Decimal("1.0500")
MULTIPLIER_DOWN = Decimal("0.9500")


class PriceBandError(FuturesError):
    """A limit price outside the band; ``bound`` is the nearest allowed price."""

    def __init__(self, code: FuturesErrorCode, message: str, *, bound: Decimal) -> None:
        super().__init__(code, message, fields={"price": "band"})
        self.bound = bound


def band(contract: Contract, mark: Decimal) -> tuple[Decimal, Decimal]:
    """The lowest and highest allowed limit prices, on the tick grid inside the band."""
    tick = contract.tick_size
    low = (mark * MULTIPLIER_DOWN / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    high = (mark * MULTIPLIER_UP / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
    # Written with the tick's places, as Binance's message names the bound (63000.0).
    exponent = tick.normalize().as_tuple().exponent
    quantum = Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)
    return low.quantize(quantum), high.quantize(quantum)


def check_price_band(contract: Contract, price: Decimal, mark: Decimal | None) -> None:
    """Refuse ``price`` outside the band around ``mark`` (no mark yet: no band)."""
    if mark is None:
        return
    low, high = band(contract, mark)
    if price > high:
        raise PriceBandError(
            FuturesErrorCode.PRICE_ABOVE_BAND,
            f"Limit price can't be higher than {high}.",
            bound=high,
        )
    if price < low:
        raise PriceBandError(
            FuturesErrorCode.PRICE_BELOW_BAND,
            f"Limit price can't be lower than {low}.",
            bound=low,
        )


def check_order_price_band(request: FuturesOrderRequest) -> None:
    """The band applies to LIMIT orders (a conditional order's price is checked when it
    triggers, by the engine's own protection, as at Binance)."""
    if request.type != FuturesOrderType.LIMIT or request.price is None:
        return
    check_price_band(request.contract, request.price, mark_of(request.contract))
