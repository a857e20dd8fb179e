"""Public market data reads of the perpetual contracts (``futures_feed``'s Redis snapshots)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.core.pagination import check_limit
from exchange.core.redis import get_redis
from exchange.futures.models import Contract, Position
from exchange.marketdata.errors import MarketDataError, MarketDataErrorCode
from exchange.marketdata.futures_feed import depth_key, klines_key, ticker_key, trades_key
from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.selectors import MAX_DEPTH, MAX_KLINES, MAX_RECENT_TRADES


def _load(key: str, default: Any) -> Any:
    raw = get_redis().get(key)
    return json.loads(raw) if raw else default


def contract_book(contract: Contract, *, limit: int) -> dict[str, Any]:
    """The depth snapshot cut to ``limit`` levels per side, with its lastUpdateId."""
    check_limit(limit, maximum=MAX_DEPTH)
    depth = _load(
        depth_key(contract.symbol), {"lastUpdateId": 0, "E": 0, "T": 0, "bids": [], "asks": []}
    )
    return {**depth, "bids": depth["bids"][:limit], "asks": depth["asks"][:limit]}


def contract_trades(contract: Contract, *, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` fills, oldest first."""
    check_limit(limit, maximum=MAX_RECENT_TRADES)
    trades: list[dict[str, Any]] = _load(trades_key(contract.symbol), [])
    return trades[-limit:]


def contract_ticker(contract: Contract) -> dict[str, Any] | None:
    ticker: dict[str, Any] | None = _load(ticker_key(contract.symbol), None)
    return ticker


def contract_klines(
    contract: Contract, *, interval: str, start: int | None, end: int | None, limit: int
) -> list[list[Any]]:
    """Kline rows oldest first; from ``start`` when given, else the latest ``limit``."""
    check_limit(limit, maximum=MAX_KLINES)
    if interval not in INTERVALS:
        raise MarketDataError(
            MarketDataErrorCode.INVALID_INTERVAL,
            f"Invalid interval {interval!r}; use one of {', '.join(INTERVALS)}.",
        )
    raw: Any = get_redis().hget(klines_key(contract.symbol), interval)
    rows: list[list[Any]] = json.loads(raw) if raw else []
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
