"""The price feed's latest mark of a contract, as the ``/fapi`` account reads use it.

Reads the key the price feed publishes (``fmd:{SYMBOL}:mark``, Binance's premiumIndex
fields) until ``exchange.pricefeed`` is on main; then its ``latest_mark``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exchange.core.redis import get_redis
from exchange.futures.models import Contract


def mark_of(contract: Contract) -> Decimal | None:
    """The latest mark price, or None before the feed's first one."""
    raw: Any = get_redis().get(f"fmd:{{{contract.symbol}}}:mark")
    return Decimal(str(json.loads(raw)["markPrice"])) if raw else None
