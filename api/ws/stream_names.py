"""Binance stream names: which ones exist and the pub/sub channel that carries each.

``<symbol>@depth@100ms`` is served by the ``@depth`` channel (one diff per
market-data batch for both), ``@depth<N>@100ms`` by ``@depth<N>``. Symbols are
matched case-insensitively and echoed as the client wrote them.
"""

from __future__ import annotations

import re
import time

from channels.db import database_sync_to_async

from exchange.marketdata.intervals import INTERVALS
from exchange.marketdata.streams import stream_channel
from exchange.markets.models import Market

GLOBAL_STREAMS = frozenset({"!ticker@arr", "!miniTicker@arr"})
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


class _KnownSymbols:
    """Market symbols, refreshed at most every few seconds when a name misses."""

    def __init__(self) -> None:
        self.symbols: frozenset[str] = frozenset()
        self.loaded_at = -_SYMBOLS_TTL_S

    async def contains(self, symbol: str) -> bool:
        if symbol in self.symbols:
            return True
        if time.monotonic() - self.loaded_at >= _SYMBOLS_TTL_S:
            self.symbols = await database_sync_to_async(_load_symbols)()
            self.loaded_at = time.monotonic()
        return symbol in self.symbols


def _load_symbols() -> frozenset[str]:
    return frozenset(Market.objects.values_list("symbol", flat=True))


known_symbols = _KnownSymbols()


def parse_shape(name: str) -> str | None:
    """The channel of a well-formed stream name (symbol not checked), else None."""
    if name in GLOBAL_STREAMS:
        return stream_channel(name)
    match = _STREAM.fullmatch(name)
    if match is None:
        return None
    kind = match["kind"]
    if match["speed"] and not kind.startswith("depth"):
        return None
    return stream_channel(f"{match['symbol'].lower()}@{kind}")


async def channel_for(name: str) -> str | None:
    """The pub/sub channel of a stream of an existing market, else None."""
    channel = parse_shape(name)
    if channel is None:
        return None
    if name in GLOBAL_STREAMS:
        return channel
    symbol = name.partition("@")[0].upper()
    return channel if await known_symbols.contains(symbol) else None
