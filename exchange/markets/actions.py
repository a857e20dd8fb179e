"""Creating markets and changing their status."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from exchange.core.money import decimal_places, is_multiple_of
from exchange.markets.engine_state import send_market_state
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import Market, MarketStatus
from exchange.markets.selectors import forget_cached_market, get_market
from exchange.wallets.models import Asset
from matching_client import ShardMapError, parse_shard_map

logger = logging.getLogger(__name__)


def has_engine(symbol: str) -> bool:
    """Whether an engine will run ``symbol``: any engine when unsharded (``runengine``
    follows the market registry), else only the shard ``ENGINE_SHARDS`` assigns it to
    (a ``runengine --shard`` runs exactly its map's markets, read when it starts)."""
    if not settings.ENGINE_SHARDS:
        return True
    try:
        shards = parse_shard_map(settings.ENGINE_SHARDS)
    except ShardMapError:
        return False
    return any(symbol.upper() in markets for markets in shards.values())


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
    """Create a market whose filters are consistent with each other and its assets.

    On a sharded deployment (``ENGINE_SHARDS`` set) a market no shard lists is
    created HALTED: no engine would match it, so it must not take orders until
    it is added to a shard (and that shard restarted) and resumed.
    """
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
    symbol = (symbol or f"{base.code}{quote.code}").upper()
    status = MarketStatus.TRADING
    if not has_engine(symbol):
        status = MarketStatus.HALT
        logger.warning(
            "market %s created HALTED: ENGINE_SHARDS lists it in no shard, so no engine "
            "matches it; add it to a shard, restart that shard, then resume the market",
            symbol,
        )
    with transaction.atomic():
        market = Market.objects.create(
            symbol=symbol,
            status=status,
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
