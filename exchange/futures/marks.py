"""The price feed's latest figures of a contract, for the layers below the feed.

The price feed (``exchange.pricefeed``) replaces ``fmd:{SYMBOL}:mark`` every
second; clearing (the user streams' unrealized PnL) and the read APIs take the
mark from here, so the key has one owner below both.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.core.redis import get_redis
from exchange.futures.models import Contract


def mark_key(symbol: str) -> str:
    return f"fmd:{{{symbol}}}:mark"


def latest_mark(symbol: str) -> dict[str, object] | None:
    """The premiumIndex figures of ``symbol`` as last published, or None."""
    raw: Any = get_redis().get(mark_key(symbol))
    return json.loads(raw) if raw else None


def mark_of(contract: Contract) -> Decimal | None:
    """The latest mark price, or None before the feed's first one."""
    latest = latest_mark(contract.symbol)
    return Decimal(str(latest["markPrice"])) if latest else None
