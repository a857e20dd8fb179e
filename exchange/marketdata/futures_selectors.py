"""Public market data reads of the perpetual contracts (``futures_feed``'s Redis snapshots)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.core.pagination import check_limit
from exchange.core.redis import get_redis
from exchange.futures.models import Contract, Position
from exchange.marketdata.errors import MarketDataError, MarketDataErrorCode
from exchange.marketdata.futures_snapshots import (
    FuturesDepthSnapshot,
    KlineRow,
    depth_key,
    klines_key,
    ticker_key,
    trades_key,
)
from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.selectors import MAX_DEPTH, MAX_KLINES, MAX_RECENT_TRADES
from exchange.marketdata.snapshots import PublicTrade, Ticker24h


def _load(key: str, default: Any) -> Any:
    raw = get_redis().get(key)
    return json.loads(raw) if raw else default


def contract_book(contract: Contract, *, limit: int) -> FuturesDepthSnapshot:
    """The depth snapshot cut to ``limit`` levels per side (an empty book at update id
    and time 0 before the feed's first)."""
    check_limit(limit, maximum=MAX_DEPTH)
    depth: FuturesDepthSnapshot = _load(
        depth_key(contract.symbol), {"last_update_id": 0, "time": 0, "bids": [], "asks": []}
    )
    return {
        "last_update_id": depth["last_update_id"],
        "time": depth["time"],
        "bids": depth["bids"][:limit],
        "asks": depth["asks"][:limit],
    }


def contract_trades(contract: Contract, *, limit: int) -> list[PublicTrade]:
    """The newest ``limit`` fills, oldest first."""
    check_limit(limit, maximum=MAX_RECENT_TRADES)
    trades: list[PublicTrade] = _load(trades_key(contract.symbol), [])
    return trades[-limit:]


def contract_ticker(contract: Contract) -> Ticker24h | None:
    """The rolling 24-hour figures, or None before the contract's first fill."""
    ticker: Ticker24h | None = _load(ticker_key(contract.symbol), None)
    return ticker


def contract_klines(
    contract: Contract, *, interval: str, start: int | None, end: int | None, limit: int
) -> list[KlineRow]:
    """Kline rows oldest first; from ``start`` when given, else the latest ``limit``."""
    check_limit(limit, maximum=MAX_KLINES)
    if interval not in INTERVALS:
        raise MarketDataError(
            MarketDataErrorCode.INVALID_INTERVAL,
            f"Invalid interval {interval!r}; use one of {', '.join(INTERVALS)}.",
        )
    raw: Any = get_redis().hget(klines_key(contract.symbol), interval)
    rows: list[KlineRow] = json.loads(raw) if raw else []
    if start is not None:
        rows = [r for r in rows if r[0] >= start]
    if end is not None:
        rows = [r for r in rows if r[0] <= end]
    return rows[:limit] if start is not None else rows[-limit:]


def open_interest(contract: Contract) -> Decimal:
    """The contract's open interest: the sum of the long positions (longs equal shorts).

    Summed in Python: money is exact text on SQLite (ADR 0002), where SUM would not be.
    """
    sizes = Position.objects.filter(contract=contract, size__gt=0).values_list("size", flat=True)
    return sum(sizes, Decimal(0))
