"""Creating markets and changing their status."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from exchange.core.money import decimal_places, is_multiple_of
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import Market, MarketStatus
from exchange.markets.selectors import forget_cached_market, get_market
from exchange.matching.gateway import send_market_state
from exchange.wallets.models import Asset


def do_create_market(
    *,
    base: Asset,
    quote: Asset,
    tick_size: Decimal,
    step_size: Decimal,
    min_qty: Decimal,
    max_qty: Decimal,
    min_notional: Decimal = Decimal(0),
    maker_fee: Decimal = Decimal(0),
    taker_fee: Decimal = Decimal(0),
    symbol: str | None = None,
) -> Market:
    """Create a market whose filters are consistent with each other and its assets."""
    problems = []
    if base.pk == quote.pk:
        problems.append("base and quote must differ")
    if tick_size <= 0 or step_size <= 0:
        problems.append("tick_size and step_size must be positive")
    if not (0 < min_qty <= max_qty) or not is_multiple_of(min_qty, step_size):
        problems.append("need 0 < min_qty <= max_qty, min_qty a multiple of step_size")
    if decimal_places(tick_size) > quote.precision:
        problems.append(f"tick_size finer than {quote.code} precision")
    if decimal_places(tick_size) + decimal_places(step_size) > quote.precision:
        problems.append(
            f"tick_size x step_size (one trade's quote unit) finer than {quote.code} precision"
        )
    if decimal_places(step_size) > base.precision:
        problems.append(f"step_size finer than {base.code} precision")
    if problems:
        raise MarketError(MarketErrorCode.INVALID_MARKET, "; ".join(problems) + ".")
    with transaction.atomic():
        market = Market.objects.create(
            symbol=(symbol or f"{base.code}{quote.code}").upper(),
            base=base,
            quote=quote,
            tick_size=tick_size,
            step_size=step_size,
            min_qty=min_qty,
            max_qty=max_qty,
            min_notional=min_notional,
            maker_fee=maker_fee,
            taker_fee=taker_fee,
        )
        forget_cached_market(market.symbol)
        transaction.on_commit(lambda: send_market_state(market))
    return market


def do_set_market_status(*, symbol: str, status: MarketStatus) -> Market:
    """Halt, break or resume trading: order entry checks the status, the engine is told too.

    HALT and BREAK both halt the engine (no matching; cancels still work).
    """
    market = get_market(symbol)
    with transaction.atomic():
        Market.objects.filter(pk=market.pk).update(status=status)
        market.status = status
        forget_cached_market(market.symbol)
        transaction.on_commit(lambda: send_market_state(market))
    return market
