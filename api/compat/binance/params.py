"""Parsing Binance request parameters into what the exchange's selectors take."""

from __future__ import annotations

import datetime as dt
import re

from api.compat.binance.errors import BinanceError, bad_symbol, illegal, mandatory
from api.json_input import JsonInputError, loads_bounded
from api.rest.fields import MAX_MS
from exchange.core.ids import MAX_ID
from exchange.markets.errors import MarketError
from exchange.markets.models import Market
from exchange.markets.selectors import get_market, get_market_cached

DIGITS = re.compile(r"[0-9]{1,19}")
SYMBOL = re.compile(r"[A-Z0-9-_.]{1,20}")
# ``symbols=["A","B"]``: a flat list, at most a few thousand quoted symbols.
MAX_SYMBOLS_CHARS = 64 * 1024


def required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise mandatory(name)
    return value


def market(params: dict[str, str], *, cached: bool = False) -> Market:
    """The ``symbol`` parameter's market: -1102 when missing, -1121 when unknown.

    ``cached`` takes the per-process market cache (a second at most; an unknown symbol is
    never cached, so a new market is found): order entry, which ``OrderRequest.parse``
    reads next anyway, and the public market-data reads.
    """
    symbol = required(params, "symbol")
    if not SYMBOL.fullmatch(symbol):
        raise illegal("symbol")
    try:
        return get_market_cached(symbol) if cached else get_market(symbol)
    except MarketError as exc:
        raise bad_symbol() from exc


def markets(params: dict[str, str]) -> list[Market] | None:
    """``symbol`` or ``symbols=["A","B"]`` as markets; None when neither was sent."""
    if params.get("symbol"):
        return [market(params)]
    raw = params.get("symbols")
    if raw is None:
        return None
    try:
        symbols = loads_bounded(raw, max_bytes=MAX_SYMBOLS_CHARS, max_depth=1)
    except JsonInputError as exc:
        raise illegal("symbols") from exc
    if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
        raise illegal("symbols")
    return [market({"symbol": s}) for s in symbols]


def optional_int(params: dict[str, str], name: str, *, maximum: int = MAX_ID) -> int | None:
    """ASCII digits up to ``maximum`` (an id fits a 64-bit column); -1100 otherwise."""
    value = params.get(name, "")
    if value == "":
        return None
    if not DIGITS.fullmatch(value) or int(value) > maximum:
        raise illegal(name)
    return int(value)


def optional_ms(params: dict[str, str], name: str) -> int | None:
    """A time in ms, at most the last instant a datetime holds."""
    return optional_int(params, name, maximum=MAX_MS)


def limit(params: dict[str, str], *, default: int, maximum: int) -> int:
    """``limit`` in 1..maximum. Past the maximum Binance answers -1130 on its account
    lists (allOrders, myTrades) and -1100 with the legal range on depth; we answer both
    ways alike on every list rather than serve an oversized page."""
    value = optional_int(params, "limit")
    if value is None:
        return default
    if value < 1:
        raise BinanceError(
            -1100, f"Illegal characters found in parameter 'limit'; legal range is 1..{maximum}."
        )
    if value > maximum:
        raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
    return value


def moment(ms: int | None) -> dt.datetime | None:
    """A Binance millisecond timestamp as an aware datetime."""
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
