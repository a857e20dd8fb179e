"""Read-only queries of markets and fee rates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from exchange.core import cache_versions
from exchange.core.process_cache import ProcessCache
from exchange.markets.errors import MarketError, MarketErrorCode
from exchange.markets.models import FeeOverride, Market, MarketStatus


@dataclass(frozen=True)
class FeeRates:
    maker: Decimal
    taker: Decimal


def market_list() -> QuerySet[Market]:
    return Market.objects.select_related("base", "quote").order_by("symbol")


def get_market(symbol: str) -> Market:
    try:
        return market_list().get(symbol=(symbol or "").upper())
    except Market.DoesNotExist as exc:
        raise MarketError(MarketErrorCode.UNKNOWN_SYMBOL, f"Invalid symbol {symbol!r}.") from exc


_cache: ProcessCache[Market] = ProcessCache()


def get_market_cached(symbol: str) -> Market:
    """get_market, kept in this process under the ``markets`` version token: order
    entry's and the public reads' hot path.

    Every change to a market's filters, fees or status bumps the token
    (``forget_cached_markets``), so the next order to any process is checked against
    the new market. An unknown symbol is never kept: a new market is found at once.
    Callers must not change the instance: other requests share it.
    """
    key = (symbol or "").upper()
    token = cache_versions.current(cache_versions.MARKETS)  # before the database
    market = _cache.get(key, token)
    if market is None:
        market = get_market(key)
        _cache.put(key, token, market)
    return market


def forget_cached_markets() -> None:
    """Make every process read markets again: now, and once the current transaction
    commits. Call from every change to a market or to an asset a market names."""
    cache_versions.bump(cache_versions.MARKETS)


def fee_rates_for_users(*, user_ids: Iterable[int], market: Market) -> dict[int, FeeRates]:
    """The fee rates of each user in ``market``, with one query: THE fee-rate rule.

    Precedence: the user's override for this market, else the user's override
    for all markets, else the market's own rates. Clearing charges by it, the
    account endpoints show it; ``fee_rates_for`` is its one-user form.
    """
    default = FeeRates(maker=market.maker_fee, taker=market.taker_fee)
    rates = dict.fromkeys(user_ids, default)
    overrides = FeeOverride.objects.filter(
        Q(market=market) | Q(market__isnull=True), user_id__in=list(rates)
    ).order_by(F("market_id").asc(nulls_first=True))  # the market's own override wins
    for override in overrides:
        rates[override.user_id] = FeeRates(maker=override.maker_fee, taker=override.taker_fee)
    return rates


def fee_rates_for(*, user_id: int, market: Market) -> FeeRates:
    """``fee_rates_for_users`` of one user."""
    return fee_rates_for_users(user_ids=[user_id], market=market)[user_id]


def account_fee_rates(*, user_id: int) -> FeeRates:
    """The highest maker and taker rates the user pays in any trading market (two queries).

    Account-wide answers (Binance's ``/api/v3/account``) have one rate where ours are per
    market; the highest is the one a bot can budget on. Per-market rates come from
    ``fee_rates_for``. With no trading market, the user's all-markets override or 0.
    """
    overrides = {
        o.market_id: FeeRates(maker=o.maker_fee, taker=o.taker_fee)
        for o in FeeOverride.objects.filter(user_id=user_id)
    }
    general = overrides.get(None)
    rates = [
        overrides.get(market_id) or general or FeeRates(maker=maker, taker=taker)
        for market_id, maker, taker in Market.objects.filter(
            status=MarketStatus.TRADING
        ).values_list("pk", "maker_fee", "taker_fee")
    ]
    if not rates:
        return general or FeeRates(maker=Decimal(0), taker=Decimal(0))
    return FeeRates(maker=max(r.maker for r in rates), taker=max(r.taker for r in rates))
