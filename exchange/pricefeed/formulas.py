"""Index, premium, mark price and funding rate: Binance USDⓈ-M's published rules, in Decimal.

Every function is pure and takes prices in the contract's quote currency; turning the
results into engine integers happens in ``units.py`` only. docs/futures.md ("Mark price
and funding") states the rules with worked numbers that tests/exchange/pricefeed checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

# A source further than 5 % from the median of all sources loses its weight; if more
# than one does, the index is the median itself (Binance's "price source deviation").
OUTLIER_DEVIATION = Decimal("0.05")
# Funding = premium + clamp(interest - premium, -0.05 %, +0.05 %).
PREMIUM_DAMPENER = Decimal("0.0005")
# Impact margin notional = this much margin at the contract's highest leverage.
IMPACT_MARGIN = Decimal(200)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Quote:
    """One source's price of the underlying at ``time_ms``, with its weight in the index."""

    source: str
    price: Decimal
    weight: Decimal
    time_ms: int


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value; the mean of the two middle ones for an even count."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def index_price(quotes: Sequence[Quote]) -> Decimal | None:
    """The weighted average of the sources' prices, outliers excluded; None without quotes.

    A source more than OUTLIER_DEVIATION from the median gets weight 0; when more than one
    does, the sources disagree too much to weight and the median is the index.
    """
    if not quotes:
        return None
    middle = median([q.price for q in quotes])
    outliers = {q.source for q in quotes if abs(q.price - middle) > OUTLIER_DEVIATION * middle}
    if len(outliers) > 1:
        return middle
    kept = [q for q in quotes if q.source not in outliers]
    total = sum((q.weight for q in kept), ZERO)
    if total <= 0:
        return middle
    return sum((q.price * q.weight for q in kept), ZERO) / total


def impact_notional(max_leverage: int) -> Decimal:
    """The notional that IMPACT_MARGIN buys at the contract's highest leverage."""
    return IMPACT_MARGIN * max_leverage


def impact_price(levels: Iterable[tuple[Decimal, Decimal]], notional: Decimal) -> Decimal | None:
    """The average price of a market order for ``notional`` against ``levels`` (best first).

    None when the book is too thin to fill it: that side then shows no premium.
    """
    remaining, quantity = notional, ZERO
    for price, qty in levels:
        if price * qty >= remaining:
            return notional / (quantity + remaining / price)
        remaining -= price * qty
        quantity += qty
    return None


def premium_index(
    index: Decimal, impact_bid: Decimal | None, impact_ask: Decimal | None
) -> Decimal:
    """[max(0, impact bid - index) - max(0, index - impact ask)] / index."""
    above = max(ZERO, impact_bid - index) if impact_bid is not None else ZERO
    below = max(ZERO, index - impact_ask) if impact_ask is not None else ZERO
    return (above - below) / index


def average_premium(samples: Sequence[Decimal]) -> Decimal:
    """Time-weighted average, oldest first: (1 x P1 + 2 x P2 + ... + n x Pn) / (1 + ... + n)."""
    if not samples:
        return ZERO
    n = len(samples)
    weighted = sum((i * p for i, p in enumerate(samples, start=1)), ZERO)
    return weighted / (n * (n + 1) // 2)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def funding_rate(premium: Decimal, interest: Decimal, cap: Decimal) -> Decimal:
    """premium + clamp(interest - premium, +-0.05 %), then within +-cap."""
    rate = premium + clamp(interest - premium, -PREMIUM_DAMPENER, PREMIUM_DAMPENER)
    return clamp(rate, -cap, cap)


def mark_price(
    *,
    index: Decimal,
    funding_estimate: Decimal,
    until_funding_ms: int,
    interval_ms: int,
    basis_average: Decimal,
    last_price: Decimal | None,
) -> Decimal:
    """median(Price 1, Price 2, contract price), Binance USDⓈ-M's perpetual mark price.

    Price 1 = index x (1 + funding rate x time until funding / funding interval);
    Price 2 = index + the moving average of the basis (mid - index); the contract price is
    the last trade, or the index before the contract has traded.
    """
    price_1 = index * (1 + funding_estimate * Decimal(until_funding_ms) / Decimal(interval_ms))
    price_2 = index + basis_average
    return median([price_1, price_2, index if last_price is None else last_price])
