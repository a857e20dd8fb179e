"""The price feed's latest mark of a contract, as the ``/fapi`` account reads use it."""

from __future__ import annotations

from decimal import Decimal

from exchange.futures.models import Contract
from exchange.pricefeed.selectors import premium_index


def mark_of(contract: Contract) -> Decimal | None:
    """The latest mark price, or None before the feed's first one."""
    latest = premium_index(contract.symbol)
    return Decimal(str(latest["markPrice"])) if latest else None
