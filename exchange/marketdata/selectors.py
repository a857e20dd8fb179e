"""Public market data reads (REST, GraphQL, Binance, FMZ all read these)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from exchange.core.pagination import check_limit
from exchange.core.redis import get_redis
from exchange.marketdata.errors import MarketDataError, MarketDataErrorCode
from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.models import Kline
from exchange.marketdata.snapshots import (
    DepthSnapshot,
    PublicTrade,
    SpotTicker24h,
    depth_key,
    ticker_key,
    trades_key,
)
from exchange.markets.models import Market

# The largest ``limit`` of each read, for every surface. Depth allows Binance's 5000;
# the snapshot holds at most DEPTH_LEVELS (1000) levels per side.
MAX_DEPTH = 5000
MAX_RECENT_TRADES = 1000
MAX_KLINES = 1000


def _load(key: str, default: Any) -> Any:
    raw = get_redis().get(key)
    return json.loads(raw) if raw else default


def order_book(market: Market, *, limit: int = 100) -> DepthSnapshot:
    """The market-data depth snapshot cut to ``limit`` levels per side (an empty book at
    update id 0 before market data's first).

    ``limit`` outside 1..MAX_DEPTH is INVALID_LIMIT (as for every market-data read).
    """
    check_limit(limit, maximum=MAX_DEPTH)
    depth: DepthSnapshot = _load(
        depth_key(market.symbol), {"last_update_id": 0, "bids": [], "asks": []}
    )
    return {
        "last_update_id": depth["last_update_id"],
        "bids": depth["bids"][:limit],
        "asks": depth["asks"][:limit],
    }


def recent_trades(market: Market, *, limit: int = 500) -> list[PublicTrade]:
    """The newest ``limit`` (1..MAX_RECENT_TRADES) public trades, oldest first."""
    check_limit(limit, maximum=MAX_RECENT_TRADES)
    trades: list[PublicTrade] = _load(trades_key(market.symbol), [])
    return trades[-limit:]


def ticker_24h(market: Market) -> SpotTicker24h | None:
    """The rolling 24-hour figures, or None before the market's first trade."""
    ticker: SpotTicker24h | None = _load(ticker_key(market.symbol), None)
    return ticker


def tickers_24h(markets: Iterable[Market]) -> dict[str, SpotTicker24h | None]:
    """ticker_24h of several markets in one round trip (a pipeline: the keys' hash tags differ)."""
    symbols = [m.symbol for m in markets]
    pipe = get_redis().pipeline(transaction=False)
    for symbol in symbols:
        pipe.get(ticker_key(symbol))
    return {
        symbol: json.loads(raw) if raw else None
        for symbol, raw in zip(symbols, pipe.execute() if symbols else [], strict=True)
    }


def kline_list(
    market: Market,
    *,
    interval: str,
    start: int | None = None,
    end: int | None = None,
    limit: int = 500,
) -> QuerySet[Kline]:
    """Klines oldest first; with only ``end`` or neither, the latest ``limit`` (1..MAX_KLINES)."""
    check_limit(limit, maximum=MAX_KLINES)
    if interval not in INTERVALS:
        raise MarketDataError(
            MarketDataErrorCode.INVALID_INTERVAL,
            f"Invalid interval {interval!r}; use one of {', '.join(INTERVALS)}.",
        )
    rows = Kline.objects.filter(market=market, interval=interval)
    if start is not None:
        rows = rows.filter(open_time__gte=start)
    if end is not None:
        rows = rows.filter(open_time__lte=end)
    if start is not None:
        return rows.order_by("open_time")[:limit]
    latest = rows.order_by("-open_time").values_list("pk", flat=True)[:limit]
    return Kline.objects.filter(pk__in=list(latest)).order_by("open_time")
