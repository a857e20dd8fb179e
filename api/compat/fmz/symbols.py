"""FMZ's symbol and order-id forms: ``BTC_USDT`` and ``BTC_USDT,123``.

The docker may send the symbol in any case and with ``-`` instead of ``_``;
a symbol missing its base or quote (``USDT``) is an error, as the protocol
requires.
"""

from __future__ import annotations

import re

from api.compat.fmz.errors import FmzError, invalid_symbol
from exchange.markets.errors import MarketError
from exchange.markets.models import Market
from exchange.markets.selectors import get_market

PART = re.compile(r"[A-Z0-9]{1,16}")
# A database id: ASCII digits that always fit a 64-bit column.
ORDER_ID = re.compile(r"[1-9][0-9]{0,17}")


def fmz_symbol(market: Market) -> str:
    return f"{market.base.code}_{market.quote.code}"


def order_ref(market: Market, order_id: int) -> str:
    return f"{fmz_symbol(market)},{order_id}"


def parse_symbol(raw: object) -> Market:
    parts = str(raw or "").upper().replace("-", "_").split("_")
    if len(parts) != 2 or not all(PART.fullmatch(p) for p in parts):
        raise invalid_symbol(raw)
    base, quote = parts
    try:
        market = get_market(base + quote)
    except MarketError as exc:
        raise invalid_symbol(raw) from exc
    if market.base.code != base or market.quote.code != quote:
        raise invalid_symbol(raw)
    return market


def parse_order_ref(raw: object) -> tuple[Market, int]:
    """``SYMBOL,ID`` as the market and the order id."""
    symbol, comma, number = str(raw or "").rpartition(",")
    if not comma or not ORDER_ID.fullmatch(number):
        raise FmzError(f"invalid order id: {raw!r} (expected SYMBOL,ID, e.g. BTC_USDT,123)")
    return parse_symbol(symbol), int(number)
