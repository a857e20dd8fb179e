"""Binance stream names: which ones exist, the market-data topic that carries each, and
the renderer that turns the topic's events into the stream's frames.

``<symbol>@depth@100ms`` is served by the ``depth`` topic (one diff per
market-data batch for both), ``@depth<N>@100ms`` by ``top<N>``; ``@ticker``
and ``@miniTicker`` are two renderings of the ``ticker`` topic, the
``!…@arr`` streams two of the all-market ticker list. Symbols are matched
case-insensitively and echoed as the client wrote them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from channels.db import database_sync_to_async

from api.compat.binance import streams as render
from api.ws.hub import Render
from exchange.events.market import market_channel, tickers_channel
from exchange.marketdata.intervals import INTERVALS
from exchange.markets.models import Market

# A stream's pub/sub channel and the renderer of its frames.
Source = tuple[str, Render]

# The all-market streams' renderers; their channel is ``tickers_channel()``.
GLOBAL_STREAMS: dict[str, Render] = {
    "!ticker@arr": render.ticker_array,
    "!miniTicker@arr": render.mini_ticker_array,
}
# Stream kind -> (topic, renderer); ``kline_<i>`` and ``depth<N>`` are handled in ``_topic``.
_KIND_TOPICS: dict[str, tuple[str, Render]] = {
    "depth": ("depth", render.depth_update),
    "trade": ("trade", render.trade),
    "aggTrade": ("agg_trade", render.agg_trade),
    "ticker": ("ticker", render.ticker),
    "miniTicker": ("ticker", render.mini_ticker),
    "bookTicker": ("best_quote", render.book_ticker),
}
_KINDS = "|".join(
    [
        r"depth(?:5|10|20)?",
        "trade",
        "aggTrade",
        "miniTicker",
        "ticker",
        "bookTicker",
        *(f"kline_{i}" for i in INTERVALS),
    ]
)
_STREAM = re.compile(
    rf"(?P<symbol>[A-Za-z0-9]{{1,32}})@(?P<kind>{_KINDS})(?P<speed>@100ms|@1000ms)?"
)
_SYMBOLS_TTL_S = 5.0


class KnownSymbols:
    """Symbols from ``load`` (markets, contracts), reloaded at most every few seconds
    when a name misses."""

    def __init__(self, load: Callable[[], frozenset[str]]) -> None:
        self.load = load
        self.symbols: frozenset[str] = frozenset()
        self.loaded_at = -_SYMBOLS_TTL_S

    async def contains(self, symbol: str) -> bool:
        if symbol in self.symbols:
            return True
        if time.monotonic() - self.loaded_at >= _SYMBOLS_TTL_S:
            self.symbols = await database_sync_to_async(self.load)()
            self.loaded_at = time.monotonic()
        return symbol in self.symbols


def _load_symbols() -> frozenset[str]:
    return frozenset(Market.objects.values_list("symbol", flat=True))


known_symbols = KnownSymbols(_load_symbols)


def _topic(kind: str) -> tuple[str, Render]:
    if kind.startswith("kline_"):
        return kind, render.kline
    if kind.startswith("depth") and kind != "depth":
        return f"top{kind.removeprefix('depth')}", render.partial_depth
    return _KIND_TOPICS[kind]


def parse_shape(name: str) -> Source | None:
    """The channel and renderer of a well-formed stream name (symbol not checked), else None."""
    if name in GLOBAL_STREAMS:
        return tickers_channel(), GLOBAL_STREAMS[name]
    match = _STREAM.fullmatch(name)
    if match is None:
        return None
    kind = match["kind"]
    if match["speed"] and not kind.startswith("depth"):
        return None
    topic, renderer = _topic(kind)
    return market_channel(match["symbol"].upper(), topic), renderer


async def source_for(name: str) -> Source | None:
    """The channel and renderer of a stream of an existing market, else None."""
    source = parse_shape(name)
    if source is None:
        return None
    if name in GLOBAL_STREAMS:
        return source
    symbol = name.partition("@")[0].upper()
    return source if await known_symbols.contains(symbol) else None
