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
from exchange.marketdata.store import depth_key, ticker_key, trades_key
from exchange.markets.models import Market

# The largest ``limit`` of each read, for every surface. Depth allows Binance's 5000;
# the snapshot holds at most DEPTH_LEVELS (1000) levels per side.
MAX_DEPTH = 5000
MAX_RECENT_TRADES = 1000
MAX_KLINES = 1000


def _load(key: str, default: Any) -> Any:
    raw = get_redis().get(key)
    return json.loads(raw) if raw else default


def order_book(market: Market, *, limit: int = 100) -> dict[str, Any]:
    """The market-data depth snapshot cut to ``limit`` levels per side, with its lastUpdateId.

    ``limit`` outside 1..MAX_DEPTH is INVALID_LIMIT (as for every market-data read).
    """
    check_limit(limit, maximum=MAX_DEPTH)
    depth = _load(depth_key(market.symbol), {"lastUpdateId": 0, "bids": [], "asks": []})
    return {
        "lastUpdateId": depth["lastUpdateId"],
        "bids": depth["bids"][:limit],
        "asks": depth["asks"][:limit],
    }


def recent_trades(market: Market, *, limit: int = 500) -> list[dict[str, Any]]:
    """The newest ``limit`` (1..MAX_RECENT_TRADES) public trades, oldest first."""
    check_limit(limit, maximum=MAX_RECENT_TRADES)
    trades: list[dict[str, Any]] = _load(trades_key(market.symbol), [])
    return trades[-limit:]


def ticker_24h(market: Market) -> dict[str, Any] | None:
    ticker: dict[str, Any] | None = _load(ticker_key(market.symbol), None)
    return ticker


def tickers_24h(markets: Iterable[Market]) -> dict[str, dict[str, Any] | None]:
    """ticker_24h of several markets in one round trip (a pipeline: the keys' hash tags differ)."""
    symbols = [m.symbol for m in markets]
    pipe = get_redis().pipeline(transaction=False)
    for symbol in symbols:
        pipe.get(ticker_key(symbol))
    return {
        symbol: json.loads(raw) if raw else None
        for symbol, raw in zip(symbols, pipe.execute() if symbols else [], strict=True)
    }


def book_ticker(market: Market) -> dict[str, Any]:
    """Best bid and ask with their quantities (Binance's bookTicker), from the depth snapshot."""
    book = order_book(market, limit=1)
    bid = book["bids"][0] if book["bids"] else ["0", "0"]
    ask = book["asks"][0] if book["asks"] else ["0", "0"]
    return {
        "symbol": market.symbol,
        "bidPrice": bid[0],
        "bidQty": bid[1],
        "askPrice": ask[0],
        "askQty": ask[1],
        "lastUpdateId": book["lastUpdateId"],
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
