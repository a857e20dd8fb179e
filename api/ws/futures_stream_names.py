"""Binance USDⓈ-M stream names: which exist, the futures topic that carries each, and its
renderer (``api/compat/binance_futures/streams.py``).

``<symbol>@depth`` at any speed (``@100ms``, ``@250ms``, ``@500ms``) is the
``depth`` topic (one diff per engine batch), ``@depth<N>`` the ``top<N>`` one;
``@markPrice`` is sent every third second and ``@markPrice@1s`` every second;
``@aggTrade`` is a rendering of the ``trade`` topic (each fill its own aggregate),
``@ticker`` and ``@miniTicker`` two of ``ticker``, ``@forceOrder`` the contract's
liquidation orders. The ``!…`` streams carry every contract: ``!markPrice@arr``
(``@1s``), ``!forceOrder@arr`` (one frame per liquidation order), ``!bookTicker``
(one frame per best-quote change) and ``!ticker@arr`` / ``!miniTicker@arr`` (one
list per batch of the contracts it traded). Symbols are contracts', matched
case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from api.compat.binance_futures import streams as render
from api.ws.hub import Render
from api.ws.stream_names import KnownSymbols, Source
from exchange.events.futures_market import (
    force_orders_channel,
    futures_best_quotes_channel,
    futures_market_channel,
    futures_tickers_channel,
    mark_prices_3s_channel,
    mark_prices_channel,
)
from exchange.futures.models import Contract
from exchange.marketdata.intervals import INTERVALS

# Channel names carry the Redis database (exchange.core.channels): built per lookup.
GLOBAL_STREAMS: dict[str, tuple[Callable[[], str], Render]] = {
    "!markPrice@arr": (mark_prices_3s_channel, render.mark_price_array),
    "!markPrice@arr@1s": (mark_prices_channel, render.mark_price_array),
    "!forceOrder@arr": (force_orders_channel, render.force_order),
    "!bookTicker": (futures_best_quotes_channel, render.book_ticker),
    "!ticker@arr": (futures_tickers_channel, render.ticker_array),
    "!miniTicker@arr": (futures_tickers_channel, render.mini_ticker_array),
}
_KIND_TOPICS: dict[str, tuple[str, Render]] = {
    "depth": ("depth", render.depth_update),
    "trade": ("trade", render.trade),
    "aggTrade": ("trade", render.agg_trade),
    "ticker": ("ticker", render.ticker),
    "miniTicker": ("ticker", render.mini_ticker),
    "bookTicker": ("best_quote", render.book_ticker),
    "markPrice": ("mark_price_3s", render.mark_price),
    "forceOrder": ("force_order", render.force_order),
}
_KINDS = "|".join(
    [
        r"depth(?:5|10|20)?",
        "trade",
        "aggTrade",
        "miniTicker",
        "ticker",
        "bookTicker",
        "markPrice",
        "forceOrder",
        *(f"kline_{i}" for i in INTERVALS),
    ]
)
_STREAM = re.compile(
    rf"(?P<symbol>[A-Za-z0-9]{{1,32}})@(?P<kind>{_KINDS})(?P<speed>@(?:0|100|250|500)ms|@1s)?"
)


def _load_symbols() -> frozenset[str]:
    return frozenset(Contract.objects.values_list("symbol", flat=True))


known_contracts = KnownSymbols(_load_symbols)


def parse_shape(name: str) -> Source | None:
    """The channel and renderer of a well-formed stream name (symbol not checked), else None."""
    if name in GLOBAL_STREAMS:
        channel_of, render_global = GLOBAL_STREAMS[name]
        return channel_of(), render_global
    match = _STREAM.fullmatch(name)
    if match is None:
        return None
    kind, speed = match["kind"], match["speed"]
    renderer: Render
    if kind == "markPrice":
        if speed not in (None, "@1s"):
            return None
        topic, renderer = ("mark_price" if speed else "mark_price_3s"), render.mark_price
    elif speed and (speed == "@1s" or not kind.startswith("depth")):
        return None
    elif kind.startswith("kline_"):
        topic, renderer = kind, render.kline
    elif kind.startswith("depth") and kind != "depth":
        topic, renderer = f"top{kind.removeprefix('depth')}", render.partial_depth
    else:
        topic, renderer = _KIND_TOPICS[kind]
    return futures_market_channel(match["symbol"].upper(), topic), renderer


async def source_for(name: str) -> Source | None:
    """The channel and renderer of a stream of an existing contract, else None."""
    source = parse_shape(name)
    if source is None or name in GLOBAL_STREAMS:
        return source
    symbol = name.partition("@")[0].upper()
    return source if await known_contracts.contains(symbol) else None
