"""The price feed's latest figures of a contract, for the layers below the feed.

The price feed (``exchange.pricefeed``) replaces ``mark_key(SYMBOL)`` every
second with a ``MarkFigures``; clearing (the user streams' unrealized PnL) and
the read APIs take the mark from here, so the key and its schema have one owner
below both. The key carries the schema's version, as the market-data snapshots'
keys do (ADR 0054): a reader never takes figures written in an older schema.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypedDict

from exchange.core.redis import get_redis
from exchange.futures.models import Contract

# 1: the unversioned ``fmd:{SYMBOL}:mark``, in Binance's premiumIndex names.
MARK_VERSION = 2


def mark_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:mark:v{MARK_VERSION}"


class MarkFigures(TypedDict):
    """A contract's mark, index and funding figures of one second (decimal strings).

    ``funding_rate`` is the estimate for the coming funding; a perpetual never
    settles, so ``estimated_settle_price`` is the index (the field's usual meaning).
    """

    symbol: str
    mark_price: str
    index_price: str
    estimated_settle_price: str
    funding_rate: str
    interest_rate: str
    next_funding_time: int
    time: int


def latest_mark(symbol: str) -> MarkFigures | None:
    """The figures of ``symbol`` as last published, or None."""
    raw: Any = get_redis().get(mark_key(symbol))
    figures: MarkFigures | None = json.loads(raw) if raw else None
    return figures


def mark_of(contract: Contract) -> Decimal | None:
    """The latest mark price, or None before the feed's first one."""
    latest = latest_mark(contract.symbol)
    return Decimal(latest["mark_price"]) if latest else None
