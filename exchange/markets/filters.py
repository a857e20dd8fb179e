"""Price/quantity/notional validation and Decimal <-> engine integer conversion.

The engine matches integer ticks (price / tick_size) and lots
(quantity / step_size); only validated multiples are converted, so the
conversion is exact both ways.
"""

from __future__ import annotations

from decimal import Decimal

from exchange.core.money import MONEY_LIMIT, exact_units, is_multiple_of, parse_decimal
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import Market


def clean_price(market: Market, value: object, *, field: str = "price") -> Decimal:
    price = parse_decimal(value)
    if price is None or price <= 0 or price >= MONEY_LIMIT:
        raise MarketError(
            MarketErrorCode.INVALID_PRICE,
            f"{field} must be a positive decimal.",
            fields={field: "invalid"},
        )
    if not is_multiple_of(price, market.tick_size):
        raise MarketError(
            MarketErrorCode.PRICE_TICK,
            f"{field} must be a multiple of the tick size {market.tick_size.normalize()}.",
            fields={field: "tick"},
        )
    return price


def clean_quantity(market: Market, value: object, *, field: str = "quantity") -> Decimal:
    qty = parse_decimal(value)
    if qty is None or qty <= 0:
        raise MarketError(
            MarketErrorCode.INVALID_QUANTITY,
            f"{field} must be a positive decimal.",
            fields={field: "invalid"},
        )
    if not is_multiple_of(qty, market.step_size):
        raise MarketError(
            MarketErrorCode.QUANTITY_STEP,
            f"{field} must be a multiple of the step size {market.step_size.normalize()}.",
            fields={field: "step"},
        )
    if qty < market.min_qty:
        raise MarketError(
            MarketErrorCode.QUANTITY_TOO_SMALL,
            f"{field} is below the minimum quantity {market.min_qty.normalize()}.",
            fields={field: "min"},
        )
    if qty > market.max_qty:
        raise MarketError(
            MarketErrorCode.QUANTITY_TOO_LARGE,
            f"{field} is above the maximum quantity {market.max_qty.normalize()}.",
            fields={field: "max"},
        )
    return qty


def check_notional(market: Market, notional: Decimal) -> None:
    if notional >= MONEY_LIMIT:
        raise MarketError(
            MarketErrorCode.NOTIONAL_TOO_LARGE,
            f"The order value must be below {MONEY_LIMIT:f} {market.quote.code}.",
        )
    if notional < market.min_notional:
        raise MarketError(
            MarketErrorCode.NOTIONAL_TOO_SMALL,
            f"The order value is below the minimum {market.min_notional.normalize()} {market.quote.code}.",
        )
    if market.max_notional is not None and notional > market.max_notional:
        raise MarketError(
            MarketErrorCode.NOTIONAL_TOO_LARGE,
            f"The order value is above the maximum {market.max_notional.normalize()} {market.quote.code}.",
        )


def quote_unit(market: Market) -> Decimal:
    """The engine's unit of quote amounts: one tick times one lot, so notional =
    price_ticks × lots is exact."""
    return (market.tick_size * market.step_size).normalize()


def quote_to_units(market: Market, amount: Decimal) -> int:
    return exact_units(amount, quote_unit(market))


def units_to_quote(market: Market, units: int) -> Decimal:
    return quote_unit(market) * units


def price_to_ticks(market: Market, price: Decimal) -> int:
    return exact_units(price, market.tick_size)


def ticks_to_price(market: Market, ticks: int) -> Decimal:
    return market.tick_size * ticks


def qty_to_lots(market: Market, qty: Decimal) -> int:
    return exact_units(qty, market.step_size)


def lots_to_qty(market: Market, lots: int) -> Decimal:
    return market.step_size * lots
